package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.plan.DevicePlan;
import org.memsfl.plan.Plan;

/** What the three split methods share: a device takes part when the planner found it a cut. */
final class SplitSpecs {

    private SplitSpecs() {
    }

    /** The devices that fit no cut, in plan (fleet) order. */
    static List<String> notFitting(Plan plan) {
        return plan.notFitting().stream().map(DevicePlan::deviceId).toList();
    }
}
