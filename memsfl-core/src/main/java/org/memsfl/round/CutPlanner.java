package org.memsfl.round;

import java.util.LinkedHashMap;
import java.util.Map;
import org.memsfl.cost.MemoryModel;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.plan.DevicePlan;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;

/**
 * A device's cut at registration (DESIGN.md sections 1 and 5): the planner's largest fitting cut at the planning
 * shape, mapped to the trained model's depth by the same fraction of layers, or a cut the run forces. Planning at a
 * larger shape than the one trained (a tiny model trained, gpt2-medium planned) keeps the fleet's cuts heterogeneous.
 */
public final class CutPlanner {

    /** A device's cut and why. */
    public record Cut(int cut, String reason) {
    }

    private final MemoryModel planMemory;
    private final String planShape;
    private final int trainedLayers;
    private final double safetyMargin;
    private final int forcedCut;

    /**
     * @param planMemory    memory model at the planning shape
     * @param planShape     the planning shape's spec, named in reasons when it differs from the trained model (or null)
     * @param trainedLayers layers of the trained model
     * @param safetyMargin  the planner's memory margin
     * @param forcedCut     a cut for every device (0 = plan each)
     */
    public CutPlanner(MemoryModel planMemory, String planShape, int trainedLayers, double safetyMargin, int forcedCut) {
        if (forcedCut < 0 || forcedCut >= trainedLayers) {
            throw new IllegalArgumentException("cut " + forcedCut + " leaves the server no layer: the model has "
                    + trainedLayers + " layers, so a cut is in [1, " + (trainedLayers - 1) + "]");
        }
        this.planMemory = planMemory;
        this.planShape = planShape;
        this.trainedLayers = trainedLayers;
        this.safetyMargin = safetyMargin;
        this.forcedCut = forcedCut;
    }

    /**
     * The cut of a registering device.
     *
     * @throws RoundRefusal when the device cannot hold even one layer at the planning shape
     */
    public Cut assign(DeviceProfile profile) {
        if (forcedCut > 0) {
            return new Cut(forcedCut, "cut " + forcedCut + " of " + trainedLayers + " set by the server (cut)");
        }
        DevicePlan plan = Planner.device(planMemory, profile, safetyMargin);
        if (!plan.fits()) {
            throw new RoundRefusal(RoundRefusal.Kind.PRECONDITION, "device " + profile.id() + " " + plan.reason());
        }
        int planLayers = planMemory.nLayers();
        int cut = scale(plan.cut(), planLayers, trainedLayers);
        String reason = plan.reason() + (planLayers == trainedLayers ? "" : " (planned at " + planShape + ", scaled to "
                + trainedLayers + " layers: cut " + cut + ")");
        return new Cut(cut, reason);
    }

    /** A cut planned at {@code planLayers} mapped to {@code trainedLayers} by the same fraction, within [1, N-1]. */
    public static int scale(int planCut, int planLayers, int trainedLayers) {
        int c = planLayers == trainedLayers ? planCut : (int) Math.round((double) planCut * trainedLayers / planLayers);
        return Math.max(1, Math.min(trainedLayers - 1, c));
    }

    /** The fitting devices of a whole-fleet plan with their cuts scaled to the trained depth, in fleet order. */
    public static Map<String, Integer> scaledCuts(Plan plan, int planLayers, int trainedLayers) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (DevicePlan d : plan.devices()) {
            if (d.fits()) {
                out.put(d.deviceId(), scale(d.cut(), planLayers, trainedLayers));
            }
        }
        return out;
    }
}
