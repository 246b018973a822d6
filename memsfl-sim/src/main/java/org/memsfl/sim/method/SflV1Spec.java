package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.cost.MethodMemory;
import org.memsfl.fed.Aggregators;
import org.memsfl.plan.Plan;
import org.memsfl.schedule.Policies;
import org.memsfl.sim.SimContext;
import org.memsfl.sim.timing.RoundClock;

/**
 * SplitFed-V1 (Thapa et al. 2022), heterogeneous cuts as in FedBERT: a copy of the server layers per device, all
 * devices served in parallel; the same training math as memsfl.
 */
final class SflV1Spec implements MethodSpec {

    @Override
    public String id() {
        return "sfl-v1";
    }

    @Override
    public MethodMemory memory(CostInputs c, boolean recompute) {
        return MethodMemory.sflV1(c.memory(), c.fleet(), c.cuts(), c.deviceWeights());
    }

    @Override
    public double roundTime(RoundClock clock, CostInputs c, List<String> participants, boolean recompute) {
        return clock.parallelRound(c.cuts());
    }

    @Override
    public List<String> dropped(MethodMemory atPlanShape, Plan plan) {
        return SplitSpecs.notFitting(plan);
    }

    @Override
    public FederatedMethod start(SimContext ctx, List<String> participants) {
        // a parallel server has no order to choose: the in-process driver serves in device order
        return new SplitFederatedMethod(SplitFederatedMethod.Variant.SFL_V1, ctx,
                Aggregators.of(ctx.settings().aggregation()), Policies.of("fcfs"));
    }
}
