package org.memsfl.cost;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.model.LayerRange;
import org.memsfl.quant.WeightStorage;

/**
 * Peak memory of the server and of each device under one of the five methods of DESIGN.md section 2, composed from
 * {@link MemoryModel}'s parts:
 * <ul>
 *   <li>{@code memsfl}: device u holds emb + [0, cut_u). The server holds ONE frozen full model, every device's
 *       server-side LoRA over [cut_u, N) with gradients and moments, and the workspace (activations and buffers) of
 *       one device at a time, since it serves devices sequentially: the largest over devices. Its head and loss run
 *       in chunks of target tokens ({@link MemoryModel#serverSegmentChunkedHead}).</li>
 *   <li>{@code sfl-v1}: devices as memsfl. The server keeps a separate submodel [cut_u, N) + norm + head per device
 *       with its LoRA state, and serves all devices in parallel, so it holds every device's workspace at once.</li>
 *   <li>{@code splitlora}: every device uses c_min, the smallest of the devices' cuts. The server holds one frozen
 *       model, ONE shared LoRA over [c_min, N) and one device's workspace.</li>
 *   <li>{@code fedlora}: a device trains the whole model; one whose budget is below that (with the safety margin) drops
 *       out. The server holds only the aggregated adapters of the full model (parameters, no optimizer).</li>
 *   <li>{@code centralized}: the server trains the whole model on the pooled batch (devices x B); devices hold
 *       nothing.</li>
 * </ul>
 * For the split methods the cuts come from the planner; a device without a cut (it fits no cut) is dropped. Their
 * devices may store their frozen layers as bf16, int8 or nf4 ({@code --device-weights}); a device's peak is then
 * {@link MemoryModel#device(int, WeightStorage)}, and the server, which keeps its one float model, is unchanged.
 *
 * <p>Which method a breakdown belongs to is the caller's to say (the method registry of the simulator names them);
 * the cost model only knows the published designs' memory.
 *
 * @param server  the server's peak
 * @param devices the peak of each participating device, in fleet order
 * @param dropped ids of devices that cannot take part
 */
public record MethodMemory(MemoryBreakdown server, Map<String, MemoryBreakdown> devices, List<String> dropped) {

    public MethodMemory {
        if (server == null || devices == null || dropped == null) {
            throw new IllegalArgumentException("method memory needs a server breakdown, devices and dropped");
        }
        devices = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(devices));
        dropped = List.copyOf(dropped);
    }

    public long serverPeak() {
        return server.total();
    }

    /** The largest device peak, 0 when no device takes part. */
    public long maxDevicePeak() {
        return devices.values().stream().mapToLong(MemoryBreakdown::total).max().orElse(0);
    }

    /**
     * memsfl's memory when its server runs each device's batch through the server segment {@code microBatchRows}
     * rows at a time (0 = whole batch): serving one device at a time, it holds one micro-batch's workspace.
     * Validated at gpt2-medium/paper-5, B=4 (ServerMemoryBench): whole batch 2.31 GiB modeled, 2.26 measured. One-row
     * micro-batches model 1.59 and measure 1.58 with glibc's mmap threshold at 128 KiB
     * (bench-results/server_memory_mmap128k.json); at 1 MiB ({@code fixed-mmap}, bench-results/server_memory.json)
     * they measure 1.92, because their (1, T, d) tensors (512 KiB) then come from the heap, whose retained free
     * memory grows round after round (1.65, 1.83, 1.92 GiB over three rounds): allocator slack, not live tensors.
     */
    public static MethodMemory memsfl(MemoryModel mm, Fleet fleet, Map<String, Integer> cuts, int microBatchRows) {
        return memsfl(mm, fleet, cuts, microBatchRows, false);
    }

    /**
     * As {@link #memsfl(MemoryModel, Fleet, Map, int)}; with {@code recompute} the server recomputes each layer's
     * activations during the backward ({@code ServerSegment(microBatchRows, true)}), so its workspace for a device is
     * {@link MemoryModel#serverSegmentRecomputed}: one hidden-state checkpoint per server layer, one layer's
     * activations and the head's, for one micro-batch. Measured at gpt2-medium/paper-5, B=4 (same benches): whole
     * batch 1.71 GiB modeled, 1.78 measured; one-row micro-batches 1.44 modeled, 1.47 measured (128 KiB threshold).
     * The excess is close to one (rows, T, vocab) tensor less one layer's activations (64 and 16 MiB; seen 70 and
     * 28): at the peak, the head's backward, cross entropy holds the log-probabilities' gradient beside the logits and
     * their gradient, which the head terms do not count, while the recomputed layer counted here is not alive yet.
     */
    public static MethodMemory memsfl(MemoryModel mm, Fleet fleet, Map<String, Integer> cuts, int microBatchRows,
                                      boolean recompute) {
        return memsfl(mm, fleet, cuts, microBatchRows, recompute, WeightStorage.FP32);
    }

    /**
     * As {@link #memsfl(MemoryModel, Fleet, Map, int, boolean)}, the devices storing their layers' frozen linear
     * weights as {@code deviceWeights}.
     */
    public static MethodMemory memsfl(MemoryModel mm, Fleet fleet, Map<String, Integer> cuts, int microBatchRows,
                                      boolean recompute, WeightStorage deviceWeights) {
        requireKnown(fleet, cuts);
        MemoryModel work = microBatchRows > 0 && microBatchRows < mm.batch() ? mm.withBatch(microBatchRows) : mm;
        Map<String, MemoryBreakdown> devices = new LinkedHashMap<>();
        List<String> dropped = new ArrayList<>();
        MemoryBreakdown server = frozenFullModel(mm);
        MemoryBreakdown busiest = MemoryBreakdown.ZERO;
        for (DeviceProfile d : fleet.devices()) {
            Integer cut = cuts.get(d.id());
            if (cut == null) {
                dropped.add(d.id());
                continue;
            }
            devices.put(d.id(), mm.device(cut, deviceWeights));
            server = server.plus(mm.loraState(LayerRange.serverSegment(cut, mm.nLayers())));
            MemoryBreakdown seg = work.serverSegmentChunkedHead(cut, recompute);
            if (seg.workspace() > busiest.workspace()) {
                busiest = seg;
            }
        }
        server = server.plus(workspaceOf(busiest));
        return new MethodMemory(server, devices, dropped);
    }

    public static MethodMemory sflV1(MemoryModel mm, Fleet fleet, Map<String, Integer> cuts) {
        return sflV1(mm, fleet, cuts, WeightStorage.FP32);
    }

    /** sfl-v1 with devices storing their layers' frozen linear weights as {@code deviceWeights}. */
    public static MethodMemory sflV1(MemoryModel mm, Fleet fleet, Map<String, Integer> cuts,
                                     WeightStorage deviceWeights) {
        requireKnown(fleet, cuts);
        Map<String, MemoryBreakdown> devices = new LinkedHashMap<>();
        List<String> dropped = new ArrayList<>();
        MemoryBreakdown server = MemoryBreakdown.ZERO;
        for (DeviceProfile d : fleet.devices()) {
            Integer cut = cuts.get(d.id());
            if (cut == null) {
                dropped.add(d.id());
                continue;
            }
            devices.put(d.id(), mm.device(cut, deviceWeights));
            server = server.plus(mm.serverSegment(cut));
        }
        return new MethodMemory(server, devices, dropped);
    }

    public static MethodMemory splitLora(MemoryModel mm, Fleet fleet, Map<String, Integer> cuts) {
        return splitLora(mm, fleet, cuts, WeightStorage.FP32);
    }

    /** splitlora with devices storing their layers' frozen linear weights as {@code deviceWeights}. */
    public static MethodMemory splitLora(MemoryModel mm, Fleet fleet, Map<String, Integer> cuts,
                                         WeightStorage deviceWeights) {
        requireKnown(fleet, cuts);
        Map<String, MemoryBreakdown> devices = new LinkedHashMap<>();
        List<String> dropped = new ArrayList<>();
        int cMin = Integer.MAX_VALUE;
        for (DeviceProfile d : fleet.devices()) {
            Integer cut = cuts.get(d.id());
            if (cut == null) {
                dropped.add(d.id());
            } else {
                cMin = Math.min(cMin, cut);
            }
        }
        MemoryBreakdown server = frozenFullModel(mm);
        if (cMin != Integer.MAX_VALUE) {
            for (DeviceProfile d : fleet.devices()) {
                if (cuts.containsKey(d.id())) {
                    devices.put(d.id(), mm.device(cMin, deviceWeights));
                }
            }
            server = server.plus(mm.loraState(LayerRange.serverSegment(cMin, mm.nLayers())))
                    .plus(workspaceOf(mm.serverSegment(cMin)));
        }
        return new MethodMemory(server, devices, dropped);
    }

    /**
     * @param safetyMargin a device whose full-model peak times (1 + margin) exceeds its budget drops out
     */
    public static MethodMemory fedLora(MemoryModel mm, Fleet fleet, double safetyMargin) {
        if (!(safetyMargin >= 0) || Double.isInfinite(safetyMargin)) {
            throw new IllegalArgumentException("safetyMargin must be a finite number >= 0, got " + safetyMargin);
        }
        MemoryBreakdown full = mm.fullModel();
        Map<String, MemoryBreakdown> devices = new LinkedHashMap<>();
        List<String> dropped = new ArrayList<>();
        for (DeviceProfile d : fleet.devices()) {
            if (full.total() * (1 + safetyMargin) <= d.memoryBudgetBytes()) {
                devices.put(d.id(), full);
            } else {
                dropped.add(d.id());
            }
        }
        // the server only averages adapters: one full set of LoRA parameters, no gradients or moments
        long adapters = mm.loraState(LayerRange.all(mm.nLayers())).loraParams();
        MemoryBreakdown server = new MemoryBreakdown(0, adapters, 0, 0, 0, 0);
        return new MethodMemory(server, devices, dropped);
    }

    public static MethodMemory centralized(MemoryModel mm, Fleet fleet) {
        Map<String, MemoryBreakdown> devices = new LinkedHashMap<>();
        for (DeviceProfile d : fleet.devices()) {
            devices.put(d.id(), MemoryBreakdown.ZERO);
        }
        MemoryBreakdown server = mm.withBatch(mm.batch() * fleet.size()).fullModel();
        return new MethodMemory(server, devices, List.of());
    }

    /** @throws IllegalArgumentException when {@code cuts} names a device the fleet lacks */
    private static void requireKnown(Fleet fleet, Map<String, Integer> cuts) {
        for (String id : cuts.keySet()) {
            if (fleet.device(id).isEmpty()) {
                throw new IllegalArgumentException("cuts name device '" + id + "', which fleet " + fleet.name() + " lacks");
            }
        }
    }

    private static MemoryBreakdown frozenFullModel(MemoryModel mm) {
        return new MemoryBreakdown(mm.frozenBytes(LayerRange.all(mm.nLayers())), 0, 0, 0, 0, 0);
    }

    private static MemoryBreakdown workspaceOf(MemoryBreakdown b) {
        return new MemoryBreakdown(0, 0, 0, 0, b.activations(), b.buffers());
    }

    /** For JSON reports: server and device breakdowns with snake-case keys, dropped ids. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("server_peak_bytes", serverPeak());
        m.put("max_device_peak_bytes", maxDevicePeak());
        m.put("server", server.toMap());
        Map<String, Object> d = new LinkedHashMap<>();
        devices.forEach((k, v) -> d.put(k, v.toMap()));
        m.put("devices", d);
        m.put("dropped", dropped);
        return m;
    }
}
