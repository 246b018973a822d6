package org.memsfl.sim.method;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.cost.MethodMemory;
import org.memsfl.fed.Aggregators;
import org.memsfl.plan.Plan;
import org.memsfl.schedule.Policies;
import org.memsfl.sim.SimContext;
import org.memsfl.sim.timing.RoundClock;

/**
 * SplitLoRA (Lin et al. 2024): every device cut at the weakest device's cut, one shared server-side adapter set
 * updated by the devices in turn (first come, first served); only device-side adapters are aggregated.
 */
final class SplitLoraSpec implements MethodSpec {

    @Override
    public String id() {
        return "splitlora";
    }

    @Override
    public MethodMemory memory(CostInputs c, boolean recompute) {
        return MethodMemory.splitLora(c.memory(), c.fleet(), c.cuts(), c.deviceWeights());
    }

    @Override
    public double roundTime(RoundClock clock, CostInputs c, List<String> participants, boolean recompute) {
        return clock.sequentialRound(minCuts(c.cuts()), "fcfs");
    }

    @Override
    public List<String> dropped(MethodMemory atPlanShape, Plan plan) {
        return SplitSpecs.notFitting(plan);
    }

    @Override
    public FederatedMethod start(SimContext ctx, List<String> participants) {
        return new SplitFederatedMethod(SplitFederatedMethod.Variant.SPLITLORA, ctx, Aggregators.of("client-only"),
                Policies.of("fcfs"));
    }

    /** Every device at the smallest cut. */
    static Map<String, Integer> minCuts(Map<String, Integer> cuts) {
        int min = cuts.values().stream().mapToInt(Integer::intValue).min().orElse(1);
        Map<String, Integer> out = new LinkedHashMap<>();
        cuts.keySet().forEach(k -> out.put(k, min));
        return out;
    }

    @Override
    public boolean qualityReference() {
        return true;
    }
}
