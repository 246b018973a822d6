package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.cost.MethodMemory;
import org.memsfl.fed.Aggregators;
import org.memsfl.plan.Plan;
import org.memsfl.schedule.Policies;
import org.memsfl.sim.SimContext;
import org.memsfl.sim.timing.RoundClock;

/**
 * memsfl (Chen et al. 2025): one frozen server model, per-device server-side adapters, devices served one at a time
 * in the scheduler's order ({@code --scheduler}), the server optionally recomputing its layers' activations.
 */
final class MemsflSpec implements MethodSpec {

    @Override
    public String id() {
        return "memsfl";
    }

    @Override
    public MethodMemory memory(CostInputs c, boolean recompute) {
        return MethodMemory.memsfl(c.memory(), c.fleet(), c.cuts(), 0, recompute, c.deviceWeights());
    }

    @Override
    public double roundTime(RoundClock clock, CostInputs c, List<String> participants, boolean recompute) {
        return clock.sequentialRound(c.cuts(), c.scheduler(), recompute);
    }

    @Override
    public List<String> dropped(MethodMemory atPlanShape, Plan plan) {
        return SplitSpecs.notFitting(plan);
    }

    @Override
    public FederatedMethod start(SimContext ctx, List<String> participants) {
        return new SplitFederatedMethod(SplitFederatedMethod.Variant.MEMSFL, ctx,
                Aggregators.of(ctx.settings().aggregation()), Policies.of(ctx.settings().scheduler()));
    }

    @Override
    public boolean recomputes(boolean recompute) {
        return recompute;
    }
}
