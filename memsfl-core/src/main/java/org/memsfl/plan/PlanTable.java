package org.memsfl.plan;

import java.util.Locale;
import org.memsfl.fleet.Units;

/** A plain-text table of a {@link Plan} for terminals and logs: one row per device, then each device's reason. */
public final class PlanTable {

    private static final String ROW = "%-16s %6s %11s %11s %11s %11s %11s %11s %11s%n";

    private PlanTable() {
    }

    public static String render(Plan plan) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "plan for fleet %s: %d layers, B=%d, T=%d, margin %.0f%%%n", plan.fleet(),
                plan.nLayers(), plan.batch(), plan.seqLen(), plan.safetyMargin() * 100));
        sb.append(String.format(Locale.ROOT, ROW, "device", "cut", "budget", "needed", "headroom", "weights",
                "lora+adam", "activations", "buffers"));
        for (DevicePlan d : plan.devices()) {
            sb.append(String.format(Locale.ROOT, ROW, d.deviceId(), d.fits() ? d.cut() + "/" + d.nLayers() : "none",
                    Units.human(d.budgetBytes()), Units.human(d.neededBytes()), Units.human(d.headroomBytes()),
                    Units.human(d.memory().frozenWeights()), Units.human(d.memory().loraState()),
                    Units.human(d.memory().activations()), Units.human(d.memory().buffers())));
        }
        for (DevicePlan d : plan.devices()) {
            sb.append(d.deviceId()).append(": ").append(d.reason()).append(System.lineSeparator());
        }
        return sb.toString();
    }
}
