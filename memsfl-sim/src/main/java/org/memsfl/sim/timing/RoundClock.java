package org.memsfl.sim.timing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.memsfl.cost.DelayModel;
import org.memsfl.cost.Flops;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelConfig;
import org.memsfl.schedule.DeviceTiming;
import org.memsfl.schedule.Policies;
import org.memsfl.schedule.RoundResult;
import org.memsfl.schedule.RoundSimulator;
import org.memsfl.schedule.SchedulingPolicy;

/**
 * Simulated seconds of one round per method: local steps as the delay model prices them, plus the adapter
 * exchange at the round's end (the slowest device's upload and download).
 */
public final class RoundClock {

    private final ModelConfig model;
    private final LoraConfig lora;
    private final DelayModel delay;
    private final Fleet fleet;
    private final int localSteps;
    private final long seed;

    public RoundClock(ModelConfig model, LoraConfig lora, DelayModel delay, Fleet fleet, int localSteps, long seed) {
        this.model = model;
        this.lora = lora;
        this.delay = delay;
        this.fleet = fleet;
        this.localSteps = localSteps;
        this.seed = seed;
    }

    /** I, the local steps of one device in a round. */
    public int localSteps() {
        return localSteps;
    }

    /** The per-step timings of the devices with their cuts, in the scheduler's terms. */
    public List<DeviceTiming> timings(Map<String, Integer> cuts) {
        return timings(cuts, false);
    }

    /** As {@link #timings(Map)}, the server recomputing its layers' activations when {@code serverRecompute}. */
    public List<DeviceTiming> timings(Map<String, Integer> cuts, boolean serverRecompute) {
        List<DeviceTiming> out = new ArrayList<>();
        for (Map.Entry<String, Integer> e : cuts.entrySet()) {
            out.add(delay.step(device(e.getKey()), fleet.server(), e.getValue(), serverRecompute));
        }
        return out;
    }

    /** A sequential server under {@code policy} (memsfl with its scheduler; SplitLoRA in arrival order). */
    public RoundResult sequential(Map<String, Integer> cuts, SchedulingPolicy policy) {
        return sequential(cuts, policy, false);
    }

    /** As {@link #sequential(Map, SchedulingPolicy)}, the server recomputing when {@code serverRecompute}. */
    public RoundResult sequential(Map<String, Integer> cuts, SchedulingPolicy policy, boolean serverRecompute) {
        return RoundSimulator.simulate(timings(cuts, serverRecompute), localSteps, policy, RoundSimulator.Mode.PIPELINED,
                new SplittableRandom(seed));
    }

    public double sequentialRound(Map<String, Integer> cuts, String policy) {
        return sequentialRound(cuts, policy, false);
    }

    public double sequentialRound(Map<String, Integer> cuts, String policy, boolean serverRecompute) {
        return sequential(cuts, Policies.of(policy), serverRecompute).roundTime() + exchange(cuts);
    }

    /** SFL-V1's parallel server: processor sharing over all devices' jobs. */
    public double parallelRound(Map<String, Integer> cuts) {
        return ProcessorSharing.roundTime(timings(cuts), localSteps) + exchange(cuts);
    }

    /** FedAvg-LoRA: each device trains the whole model locally; the slowest one sets the pace. */
    public double localRound(List<String> participants) {
        double worst = 0;
        for (String id : participants) {
            DeviceProfile d = device(id);
            double train = localSteps * Flops.trainStep(model, lora, delay.batch(), delay.seqLen()) / d.flopsPerSecond();
            double bytes = org.memsfl.cost.LoraCounts.params(model, lora,
                    org.memsfl.model.LayerRange.all(model.nLayers())) * 4.0;
            double exchange = bytes / d.uplinkBytesPerSecond() + bytes / d.downlinkBytesPerSecond() + 2 * d.latencySeconds();
            worst = Math.max(worst, train + exchange);
        }
        return worst;
    }

    /** The centralized baseline: all devices' steps run on the server, one after another. */
    public double centralizedRound(int devices) {
        return (double) localSteps * devices * Flops.trainStep(model, lora, delay.batch(), delay.seqLen())
                / fleet.server().flopsPerSecond();
    }

    /** The adapter exchange at a round's end: the slowest device's upload plus download, seconds. */
    public double exchange(Map<String, Integer> cuts) {
        double worst = 0;
        for (Map.Entry<String, Integer> e : cuts.entrySet()) {
            DeviceProfile d = device(e.getKey());
            worst = Math.max(worst, delay.adapterUploadSeconds(d, e.getValue()) + delay.adapterDownloadSeconds(d, e.getValue()));
        }
        return worst;
    }

    private DeviceProfile device(String id) {
        return fleet.device(id).orElseThrow(() -> new IllegalArgumentException("unknown device " + id));
    }
}
