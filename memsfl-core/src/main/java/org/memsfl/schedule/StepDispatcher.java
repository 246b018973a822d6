package org.memsfl.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.memsfl.engine.Rng;

/**
 * The local steps that have arrived at the server and wait for it, and the scheduler's choice of which to serve
 * next. The one online dispatcher of the system: the gRPC edge server feeds it real arrivals, and the simulator
 * ({@link RoundSimulator#serve}) the predicted ones, whose order it then serves its real training steps in; both record
 * the order it serves (DESIGN.md section 1: one device at a time, in an order a scheduler picks). Each time the server
 * becomes free it asks {@link #next()}; the policy sees every waiting step as a job of {@code 1|r_j,q_j|Cmax} whose
 * release is its arrival time and whose server time and tail (gradient download plus device backward) the delay model
 * predicts from the device's registered profile.
 *
 * <ul>
 *   <li>{@code fcfs}, {@code random}, {@code schrage}: the policy's online dispatch rule over the waiting steps
 *       (Schrage: the longest tail first).</li>
 *   <li>{@code exact}: Carlier's optimal order of one step of the whole fleet, computed from the predicted timings
 *       when the round opens, used as a priority among waiting steps (the earlier local step first, then the planned
 *       position). The server never idles for a device that has not arrived: a real device may be late or gone.</li>
 * </ul>
 *
 * <p>Not thread-safe: the edge server calls it from its one worker thread. The random policy draws from a stream
 * seeded per round from (seed, round).
 *
 * @param <T> what the server needs to run a step
 */
public final class StepDispatcher<T> {

    /** One waiting step. */
    public record Waiting<T>(String deviceId, int localStep, double arrivalSeconds, T work) {
    }

    private final SchedulingPolicy policy;
    private final long seed;
    private final List<Waiting<T>> waiting = new ArrayList<>();
    private Map<String, DeviceTiming> timings = Map.of();
    private Map<String, Integer> plannedRank = Map.of();
    private SplittableRandom rng;

    public StepDispatcher(SchedulingPolicy policy, long seed) {
        this.policy = policy;
        this.seed = seed;
        this.rng = new SplittableRandom(Rng.seed(seed, "server/dispatch", 0));
    }

    /** A round opens: the predicted timings of the devices in it (in registration order) and a fresh random stream. */
    public void beginRound(int round, Map<String, DeviceTiming> timingsByDevice) {
        timings = Map.copyOf(timingsByDevice);
        rng = new SplittableRandom(Rng.seed(seed, "server/dispatch", round));
        plannedRank = Map.of();
        if (policy.online() == SchedulingPolicy.Online.WAVE_PLAN) {
            List<String> ids = new ArrayList<>(timingsByDevice.keySet());
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                DeviceTiming t = timingsByDevice.get(ids.get(i));
                jobs.add(new Job(i, t.release(), t.server(), t.tail()));
            }
            List<Integer> order = policy.order(jobs, rng);
            java.util.Map<String, Integer> rank = new java.util.HashMap<>();
            for (int k = 0; k < order.size(); k++) {
                rank.put(ids.get(order.get(k)), k);
            }
            plannedRank = Map.copyOf(rank);
        }
    }

    public void add(Waiting<T> w) {
        waiting.add(w);
    }

    /** True when no step waits. */
    public boolean isEmpty() {
        return waiting.isEmpty();
    }

    /** True while a step of {@code deviceId} waits. */
    public boolean holds(String deviceId) {
        return waiting.stream().anyMatch(w -> w.deviceId().equals(deviceId));
    }

    /** Removes and returns every waiting step of {@code deviceId} (a device that restarted), in arrival order. */
    public List<Waiting<T>> remove(String deviceId) {
        List<Waiting<T>> out = new ArrayList<>();
        waiting.removeIf(w -> w.deviceId().equals(deviceId) && out.add(w));
        return out;
    }

    /** Removes and returns the step to serve now; null when none waits. */
    public Waiting<T> next() {
        if (waiting.isEmpty()) {
            return null;
        }
        int pick;
        if (policy.online() == SchedulingPolicy.Online.WAVE_PLAN) {
            pick = 0;
            for (int i = 1; i < waiting.size(); i++) {
                if (priority(waiting.get(i)) < priority(waiting.get(pick))) {
                    pick = i;
                }
            }
        } else {
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < waiting.size(); i++) {
                Waiting<T> w = waiting.get(i);
                DeviceTiming t = timings.get(w.deviceId());
                double server = t == null ? 0 : t.server();
                double tail = t == null ? 0 : t.tail();
                jobs.add(new Job(i, w.arrivalSeconds(), server, tail));
            }
            pick = policy.dispatch(jobs, rng);
        }
        return waiting.remove(pick);
    }

    /** Planned position, then earlier local step, then arrival: a late device keeps its place in the next wave. */
    private double priority(Waiting<T> w) {
        int rank = plannedRank.getOrDefault(w.deviceId(), Integer.MAX_VALUE / 2);
        return (double) w.localStep() * 1_000_000 + rank + w.arrivalSeconds() * 1e-9;
    }
}
