package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.cost.MethodMemory;
import org.memsfl.fed.Aggregators;
import org.memsfl.plan.Plan;
import org.memsfl.sim.SimContext;
import org.memsfl.sim.timing.RoundClock;

/**
 * FedAvg of LoRA (McMahan et al. 2017 applied to adapters): each device trains the whole model; a device whose
 * memory cannot hold it (with the safety margin) drops out; the server only averages adapters.
 */
final class FedLoraSpec implements MethodSpec {

    @Override
    public String id() {
        return "fedlora";
    }

    @Override
    public MethodMemory memory(CostInputs c, boolean recompute) {
        return MethodMemory.fedLora(c.memory(), c.fleet(), c.safetyMargin());
    }

    @Override
    public double roundTime(RoundClock clock, CostInputs c, List<String> participants, boolean recompute) {
        return clock.localRound(participants);
    }

    @Override
    public List<String> dropped(MethodMemory atPlanShape, Plan plan) {
        return atPlanShape.dropped();
    }

    @Override
    public FederatedMethod start(SimContext ctx, List<String> participants) {
        return new FedLoraMethod(ctx, Aggregators.of(ctx.settings().aggregation()), participants);
    }

    @Override
    public boolean serverHoldsOnlyAdapters() {
        return true;
    }
}
