package org.memsfl.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.memsfl.cost.MemoryBreakdown;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.quant.WeightStorage;
import org.memsfl.util.BadInputException;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelConfig;

import static org.memsfl.fleet.Units.human;

/**
 * Chooses each device's cut (DESIGN.md sections 1 and 5): the largest c in [1, N-1] whose device memory times
 * (1 + margin) is within the budget. Device memory grows with c, so the largest fitting cut is also the one that
 * moves the most work and memory off the server; the margin absorbs allocator slack and what the memory model
 * leaves out. Then the edge server: memsfl's server holds one frozen model, every device's server-side adapters and
 * one device's workspace; a fleet whose server cannot hold that within {@code server.memory} is refused.
 */
public final class Planner {

    private Planner() {
    }

    /** fp32 weights and activations, fused attention ({@link MemoryModel#of}). */
    public static Plan plan(ModelConfig model, LoraConfig lora, int batch, int seqLen, Fleet fleet, double safetyMargin) {
        return plan(MemoryModel.of(model, lora, batch, seqLen), fleet, safetyMargin);
    }

    /** As {@link #plan(MemoryModel, Fleet, double, boolean)} for a server that recomputes (memsfl's default). */
    public static Plan plan(MemoryModel memory, Fleet fleet, double safetyMargin) {
        return plan(memory, fleet, safetyMargin, true);
    }

    /**
     * Each device's cut, then the edge server's check: at those cuts, the server must hold one frozen model, every
     * device's server-side LoRA state and one device's workspace within {@code server.memory} (with the margin).
     *
     * @param serverRecompute the server recomputes its layers' activations during the backward
     * @throws BadInputException when the server cannot hold the fleet, naming what it needs by category, its budget
     *                           and how many devices it could hold
     */
    public static Plan plan(MemoryModel memory, Fleet fleet, double safetyMargin, boolean serverRecompute) {
        return plan(memory, fleet, safetyMargin, serverRecompute, WeightStorage.FP32);
    }

    /**
     * As {@link #plan(MemoryModel, Fleet, double, boolean)}, the devices storing their layers' linear weights as
     * {@code storage} ({@link MemoryModel#device(int, WeightStorage)}): smaller storage, deeper cuts for the same
     * budget; each device's reason names the cut float32 storage would have given. The server keeps its one frozen
     * model in the compute dtype whatever the devices store.
     */
    public static Plan plan(MemoryModel memory, Fleet fleet, double safetyMargin, boolean serverRecompute,
                            WeightStorage storage) {
        if (!(safetyMargin >= 0) || Double.isInfinite(safetyMargin)) {
            throw new IllegalArgumentException("safetyMargin must be a finite number >= 0, got " + safetyMargin);
        }
        List<DevicePlan> out = new ArrayList<>();
        for (DeviceProfile d : fleet.devices()) {
            out.add(device(memory, d, safetyMargin, storage));
        }
        Plan p = new Plan(fleet.name(), memory.nLayers(), memory.batch(), memory.seqLen(), safetyMargin, out,
                server(memory, fleet, out, safetyMargin, serverRecompute));
        if (!p.server().fits()) {
            throw new BadInputException("fleet " + fleet.name() + ": the edge server cannot hold it: "
                    + p.server().reason());
        }
        return p;
    }

    /**
     * The server's need at the planned cuts, each device's share, and how many devices fit: taken smallest server
     * share first (the shallowest server segments), so that the count is the most the budget can hold at these cuts.
     */
    static ServerPlan server(MemoryModel memory, Fleet fleet, List<DevicePlan> devices, double margin,
                             boolean recompute) {
        long budget = fleet.server().memoryBytes();
        Map<String, Integer> cuts = new LinkedHashMap<>();
        Map<String, Long> shares = new LinkedHashMap<>();
        for (DevicePlan d : devices) {
            if (!d.fits()) {
                continue;
            }
            cuts.put(d.deviceId(), d.cut());
            MemoryBreakdown seg = memory.serverSegmentChunkedHead(d.cut(), recompute);
            shares.put(d.deviceId(), seg.loraState() + seg.workspace());
        }
        List<String> bySmallestShare = new ArrayList<>(shares.keySet());
        bySmallestShare.sort(java.util.Comparator.comparingLong(shares::get));
        Map<String, Integer> held = new LinkedHashMap<>();
        List<String> heldIds = new ArrayList<>();
        for (String id : bySmallestShare) {
            held.put(id, cuts.get(id));
            if (!fits(MethodMemory.memsfl(memory, fleet, held, 0, recompute).server(), margin, budget)) {
                break;
            }
            heldIds.add(id);
        }
        int maxDevices = heldIds.size();
        long smallestAlone = bySmallestShare.isEmpty() ? 0 : needed(MethodMemory.memsfl(memory, fleet,
                Map.of(bySmallestShare.get(0), cuts.get(bySmallestShare.get(0))), 0, recompute).server(), margin);
        MemoryBreakdown m = MethodMemory.memsfl(memory, fleet, cuts, 0, recompute).server();
        long needed = needed(m, margin);
        String reason = String.format(Locale.ROOT, "needs %s with %s margin (one frozen model %s, %d devices' "
                        + "server-side LoRA state %s, one device's workspace %s), server.memory is %s; ",
                human(needed), percent(margin), human(m.frozenWeights()), cuts.size(), human(m.loraState()),
                human(m.workspace()), human(budget));
        reason += needed <= budget
                ? "headroom " + human(budget - needed)
                : "at these cuts it holds " + maxDevices + " of " + cuts.size() + " devices"
                        + (maxDevices == 0 ? " (the frozen model with the smallest server share, "
                        + bySmallestShare.get(0) + "'s, alone needs " + human(smallestAlone) + ")"
                        : " (those with the smallest server shares: " + String.join(", ", heldIds) + ")");
        return new ServerPlan(m, budget, needed, shares, maxDevices, reason);
    }

    public static DevicePlan device(MemoryModel memory, DeviceProfile d, double margin) {
        return device(memory, d, margin, WeightStorage.FP32);
    }

    /** The largest cut whose device memory with layers stored as {@code storage} fits, and why. */
    public static DevicePlan device(MemoryModel memory, DeviceProfile d, double margin, WeightStorage storage) {
        DevicePlan p = deviceAt(memory, d, margin, storage);
        if (storage == WeightStorage.FP32) {
            return p;
        }
        DevicePlan fp32 = deviceAt(memory, d, margin, WeightStorage.FP32);
        ModelConfig c = memory.model();
        String note = String.format(Locale.ROOT, "; layers stored as %s (%.2f bits per weight, dequantized one layer "
                        + "at a time) where fp32 storage gives %s", storage.id(),
                storage.bitsPerWeight(c.hiddenDim(), c.dim()), fp32.fits() ? "cut " + fp32.cut() : "no cut");
        return new DevicePlan(p.deviceId(), p.fits(), p.cut(), p.nLayers(), p.memory(), p.budgetBytes(),
                p.neededBytes(), p.reason() + note);
    }

    private static DevicePlan deviceAt(MemoryModel memory, DeviceProfile d, double margin, WeightStorage storage) {
        java.util.function.IntFunction<MemoryBreakdown> dev = c -> memory.device(c, storage);
        int n = memory.nLayers();
        long budget = d.memoryBudgetBytes();
        String pct = percent(margin);
        if (n < 2) {
            MemoryBreakdown m = dev.apply(n);
            return new DevicePlan(d.id(), false, 0, n, m, budget, needed(m, margin),
                    "does not fit: a " + n + "-layer model cannot be split (cuts run from 1 to N-1)");
        }
        int best = 0;
        for (int c = 1; c < n && fits(dev.apply(c), margin, budget); c++) {
            best = c;
        }
        if (best == 0) {
            MemoryBreakdown m = dev.apply(1);
            return new DevicePlan(d.id(), false, 0, n, m, budget, needed(m, margin), String.format(Locale.ROOT,
                    "does not fit: cut 1 of %d needs %s with %s margin, budget %s", n, human(needed(m, margin)), pct,
                    human(budget)));
        }
        MemoryBreakdown m = dev.apply(best);
        String reason = String.format(Locale.ROOT, "cut %d of %d: %s needed with %s margin, budget %s; ", best, n,
                human(needed(m, margin)), pct, human(budget));
        reason += best + 1 < n
                ? "cut " + (best + 1) + " would need " + human(needed(dev.apply(best + 1), margin))
                : "the largest cut a split allows (the server keeps at least one layer)";
        return new DevicePlan(d.id(), true, best, n, m, budget, needed(m, margin), reason);
    }

    private static boolean fits(MemoryBreakdown m, double margin, long budget) {
        return m.total() * (1 + margin) <= budget;
    }

    private static long needed(MemoryBreakdown m, double margin) {
        return (long) Math.ceil(m.total() * (1 + margin));
    }

    private static String percent(double margin) {
        double p = margin * 100;
        return p == Math.rint(p) ? String.format(Locale.ROOT, "%.0f%%", p) : String.format(Locale.ROOT, "%.1f%%", p);
    }
}
