package org.memsfl.plan;

import java.util.Locale;
import org.memsfl.fleet.Units;

/**
 * A plain-text table of a {@link Plan} for terminals and logs: one row per device with its share of the server, a row
 * for the edge server, then each reason.
 */
public final class PlanTable {

    private static final String ROW = "%-16s %6s %11s %11s %11s %11s %11s %11s %11s %12s%n";

    private PlanTable() {
    }

    public static String render(Plan plan) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "plan for fleet %s: %d layers, B=%d, T=%d, margin %.0f%%%n", plan.fleet(),
                plan.nLayers(), plan.batch(), plan.seqLen(), plan.safetyMargin() * 100));
        sb.append(String.format(Locale.ROOT, ROW, "device", "cut", "budget", "needed", "headroom", "weights",
                "lora+adam", "activations", "buffers", "server share"));
        for (DevicePlan d : plan.devices()) {
            sb.append(String.format(Locale.ROOT, ROW, d.deviceId(), d.fits() ? d.cut() + "/" + d.nLayers() : "none",
                    Units.human(d.budgetBytes()), Units.human(d.neededBytes()), Units.human(d.headroomBytes()),
                    Units.human(d.memory().frozenWeights()), Units.human(d.memory().loraState()),
                    Units.human(d.memory().activations()), Units.human(d.memory().buffers()),
                    d.fits() ? Units.human(plan.server().shares().get(d.deviceId())) : "-"));
        }
        ServerPlan s = plan.server();
        sb.append(String.format(Locale.ROOT, ROW, "edge server", "", Units.human(s.budgetBytes()),
                Units.human(s.neededBytes()), Units.human(s.headroomBytes()), Units.human(s.memory().frozenWeights()),
                Units.human(s.memory().loraState()), Units.human(s.memory().activations()),
                Units.human(s.memory().buffers()), ""));
        for (DevicePlan d : plan.devices()) {
            sb.append(d.deviceId()).append(": ").append(d.reason()).append(System.lineSeparator());
        }
        sb.append("edge server: ").append(s.reason()).append(System.lineSeparator());
        sb.append("server share: the server-side LoRA state of the device plus its workspace while it is served "
                + "(one device at a time)").append(System.lineSeparator());
        return sb.toString();
    }
}
