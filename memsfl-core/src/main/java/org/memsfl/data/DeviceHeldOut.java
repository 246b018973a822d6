package org.memsfl.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each device's own held-out prompts. Under the natural partition a client key (Dolly category, E2E restaurant)
 * belongs to exactly one device, so a device is evaluated on the held-out prompts of its own keys: that is its
 * non-IID test distribution. When keys are shared between devices (iid or Dirichlet partitions, or a dataset without
 * keys), or some device's keys have no held-out prompt (E2E's test set names other restaurants than its dev set), the
 * held-out prompts are split by the same partitioner and seed instead, which under "natural" still gives each
 * device keys of its own. Each device keeps at most
 * {@code perDevice} prompts so that generation stays cheap, taken in turn from each of its keys (in dataset order
 * within a key), so a device with several categories is tested on all of them.
 */
public final class DeviceHeldOut {

    private DeviceHeldOut() {
    }

    /**
     * @param trainParts  each device's training examples, in device order (as the partitioner returned them)
     * @param deviceIds   the devices' ids, same order
     * @param eval        the held-out examples (several per prompt are merged, see {@link HeldOutPrompt#group})
     * @param partitioner the partition spec used for training ("natural", "iid", "dirichlet:A")
     * @return device id to its held-out prompts (possibly empty for a device whose keys have none), in device order
     */
    public static Map<String, List<HeldOutPrompt>> split(List<List<Example>> trainParts, List<String> deviceIds,
            List<Example> eval, String partitioner, long seed, int perDevice) {
        if (trainParts.size() != deviceIds.size()) {
            throw new IllegalArgumentException("got " + trainParts.size() + " partitions for " + deviceIds.size()
                    + " devices");
        }
        if (perDevice < 1) {
            throw new IllegalArgumentException("held-out prompts per device must be >= 1, got " + perDevice);
        }
        List<HeldOutPrompt> prompts = HeldOutPrompt.group(eval);
        Map<String, Integer> owner = keyOwners(trainParts);
        Map<String, List<HeldOutPrompt>> out = new LinkedHashMap<>();
        deviceIds.forEach(id -> out.put(id, new ArrayList<>()));
        if (owner != null) {
            for (HeldOutPrompt p : prompts) {
                Integer device = owner.get(p.clientKey());
                if (device != null) {
                    out.get(deviceIds.get(device)).add(p);
                }
            }
            if (out.values().stream().noneMatch(List::isEmpty)) {
                out.replaceAll((id, list) -> roundRobin(list, perDevice));
                return out;
            }
            out.values().forEach(List::clear); // held-out keys differ from training keys (E2E test restaurants)
        }
        if (prompts.size() < deviceIds.size()) {
            return out;
        }
        List<Example> carriers = new ArrayList<>();
        for (HeldOutPrompt p : prompts) {
            carriers.add(new Example(p.prompt(), "", p.clientKey()));
        }
        Map<String, HeldOutPrompt> byPrompt = new HashMap<>();
        prompts.forEach(p -> byPrompt.put(p.prompt(), p));
        List<List<Example>> parts = Partitioner.of(partitioner).partition(carriers, deviceIds.size(), seed);
        for (int d = 0; d < parts.size(); d++) {
            for (Example e : parts.get(d)) {
                out.get(deviceIds.get(d)).add(byPrompt.get(e.prompt()));
            }
        }
        out.replaceAll((id, list) -> roundRobin(list, perDevice));
        return out;
    }

    /** Up to {@code cap} prompts, one from each key in turn (keys in order of first appearance). */
    static List<HeldOutPrompt> roundRobin(List<HeldOutPrompt> prompts, int cap) {
        Map<String, java.util.ArrayDeque<HeldOutPrompt>> byKey = new LinkedHashMap<>();
        for (HeldOutPrompt p : prompts) {
            byKey.computeIfAbsent(p.clientKey(), k -> new java.util.ArrayDeque<>()).add(p);
        }
        List<HeldOutPrompt> out = new ArrayList<>();
        while (out.size() < cap && byKey.values().stream().anyMatch(q -> !q.isEmpty())) {
            for (java.util.ArrayDeque<HeldOutPrompt> q : byKey.values()) {
                if (!q.isEmpty() && out.size() < cap) {
                    out.add(q.poll());
                }
            }
        }
        return out;
    }

    /** Key to device index when every non-empty key is held by exactly one device; null when keys are shared. */
    private static Map<String, Integer> keyOwners(List<List<Example>> parts) {
        Map<String, Integer> owner = new HashMap<>();
        for (int d = 0; d < parts.size(); d++) {
            for (Example e : parts.get(d)) {
                if (e.clientKey().isEmpty()) {
                    return null;
                }
                Integer prev = owner.putIfAbsent(e.clientKey(), d);
                if (prev != null && prev != d) {
                    return null;
                }
            }
        }
        return owner;
    }
}
