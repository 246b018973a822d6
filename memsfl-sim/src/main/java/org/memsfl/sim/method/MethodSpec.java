package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.cost.MethodMemory;
import org.memsfl.plan.Plan;
import org.memsfl.sim.SimContext;
import org.memsfl.sim.timing.RoundClock;

/**
 * One fine-tuning method, whole: its name, its cost models (peak memory, simulated round time, which devices it
 * cannot use) and how it starts on a simulated fleet. Adding a method is one class implementing this plus one line in
 * {@link Methods#ALL}; the experiment, the scale study and the report take everything else from here.
 */
public interface MethodSpec {

    /** The name runs, reports and {@code --method} use, e.g. {@code memsfl}. */
    String id();

    /**
     * Peak memory of the server and of every device at the shape of {@code c.memory()}.
     *
     * @param recompute the run's {@code --server-recompute} (methods whose server cannot recompute ignore it)
     */
    MethodMemory memory(CostInputs c, boolean recompute);

    /**
     * Simulated seconds of one round (DESIGN.md section 5's delay model, through {@code clock}).
     *
     * @param participants devices that take part under this method, in fleet order
     */
    double roundTime(RoundClock clock, CostInputs c, List<String> participants, boolean recompute);

    /**
     * Devices that cannot take part, in fleet order.
     *
     * @param atPlanShape this method's {@link #memory} at the planning shape
     * @param plan        the planner's cuts at that shape
     */
    List<String> dropped(MethodMemory atPlanShape, Plan plan);

    /**
     * The method's rounds over {@code ctx}'s frozen model, partitions and seeds.
     *
     * @param participants devices that take part (the context's participants less {@link #dropped})
     */
    FederatedMethod start(SimContext ctx, List<String> participants);

    /** True for a baseline the report measures ours' quality against (held-out loss, task metric). */
    default boolean qualityReference() {
        return false;
    }

    /** True when this method's server holds adapters only, no model (its memory is no like-for-like baseline). */
    default boolean serverHoldsOnlyAdapters() {
        return false;
    }

    /** True when this method's server recomputes activations under {@code recompute} (the scale study shows both). */
    default boolean recomputes(boolean recompute) {
        return false;
    }
}
