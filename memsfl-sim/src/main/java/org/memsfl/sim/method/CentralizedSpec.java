package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.cost.MethodMemory;
import org.memsfl.plan.Plan;
import org.memsfl.sim.SimContext;
import org.memsfl.sim.timing.RoundClock;

/**
 * The quality reference: the participants' data pooled on the server and fine-tuned with LoRA, as many batches per
 * round as the split methods take over all devices. No device is dropped: devices hold nothing.
 */
final class CentralizedSpec implements MethodSpec {

    @Override
    public String id() {
        return "centralized";
    }

    @Override
    public MethodMemory memory(CostInputs c, boolean recompute) {
        return MethodMemory.centralized(c.memory(), c.fleet());
    }

    @Override
    public double roundTime(RoundClock clock, CostInputs c, List<String> participants, boolean recompute) {
        // the batches of every device that fits a split cut, pooled (the same samples per round as the split methods)
        return clock.centralizedRound(c.cuts().size());
    }

    @Override
    public List<String> dropped(MethodMemory atPlanShape, Plan plan) {
        return List.of();
    }

    @Override
    public FederatedMethod start(SimContext ctx, List<String> participants) {
        return new CentralizedMethod(ctx);
    }

    @Override
    public boolean qualityReference() {
        return true;
    }
}
