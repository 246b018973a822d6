package org.memsfl.sim.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.sim.report.ReportInput.GanttSlot;
import org.memsfl.sim.report.ReportInput.MethodRound;
import org.memsfl.sim.report.ReportInput.MethodSummary;
import org.memsfl.sim.report.ReportInput.ScaleRow;

/** A plausible made-up report: 3 methods, 3 rounds, 3 devices. */
final class ReportFixtures {

    static final long MIB = 1024L * 1024L;
    static final List<String> DEVICES = List.of("phone-low", "tablet-mid", "laptop-high");
    static final List<String> METHODS = List.of("memsfl", "sfl-lora", "fedlora");

    private ReportFixtures() {
    }

    static Map<String, Long> breakdown(long frozen, long lora, long acts, long buffers) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("frozen_weights", frozen);
        m.put("lora_params", lora);
        m.put("lora_grads", lora);
        m.put("optimizer_state", 2 * lora);
        m.put("activations", acts);
        m.put("buffers", buffers);
        m.put("total", frozen + 4 * lora + acts + buffers); // as MemoryBreakdown.toMap() gives it
        return m;
    }

    static long total(Map<String, Long> m) {
        return m.get("total");
    }

    static MethodSummary summary(long serverFrozen, long serverActs, double scale, double roundTime, double loss,
                                 Long measured, List<String> dropped) {
        Map<String, Long> server = breakdown(serverFrozen, 3 * MIB / 2, serverActs, 8 * MIB);
        Map<String, Long> peaks = new LinkedHashMap<>();
        Map<String, Map<String, Long>> devices = new LinkedHashMap<>();
        for (int i = 0; i < DEVICES.size(); i++) {
            String d = DEVICES.get(i);
            if (dropped.contains(d)) {
                continue;
            }
            Map<String, Long> b = breakdown((long) ((40 + 30 * i) * MIB * scale), MIB / 4,
                    (long) ((12 + 10 * i) * MIB * scale), 2 * MIB);
            devices.put(d, b);
            peaks.put(d, total(b));
        }
        return new MethodSummary(total(server), peaks, roundTime, roundTime * 0.21, loss, 123_456_789L,
                98_765_432L, server, devices, measured, dropped);
    }

    static ReportInput input() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", "random:gpt2-tiny");
        settings.put("data", "shakespeare (iid, 3 clients)");
        settings.put("fleet", "fleets/three.yaml");
        settings.put("rounds", 3);
        settings.put("local steps", 4);
        settings.put("scheduler", "schrage");
        settings.put("seed", 42L);
        settings.put("learning rate", 2.0e-4);
        settings.put("lora", Map.of("rank", 8));
        settings.put("note", null);

        List<MethodRound> rounds = new ArrayList<>();
        double[][] eval = {{3.912, 3.405, 3.101}, {3.950, 3.480, 3.190}, {4.010, 3.620, 3.350}};
        for (int m = 0; m < METHODS.size(); m++) {
            for (int r = 1; r <= 3; r++) {
                rounds.add(new MethodRound(METHODS.get(m), r, eval[m][r - 1] + 0.12, eval[m][r - 1],
                        12.5 + 3 * m + 0.1 * r, 1.7 + 0.2 * m, 40_000_000L + m * 1_000_000L, 30_000_000L));
            }
        }

        Map<String, MethodSummary> methods = new LinkedHashMap<>();
        methods.put("memsfl", summary(180 * MIB, 96 * MIB, 0.6, 12.8, 3.101, 312L * MIB, List.of()));
        methods.put("sfl-lora", summary(180 * MIB, 260 * MIB, 1.0, 15.8, 3.190, null, List.of()));
        methods.put("fedlora", summary(0, 0, 2.4, 18.8, 3.350, null, List.of("phone-low")));

        Map<String, Double> byPolicy = new LinkedHashMap<>();
        byPolicy.put("fcfs", 14.2);
        byPolicy.put("schrage", 12.8);
        byPolicy.put("exact", 12.6);
        byPolicy.put("random", 15.1);
        Map<String, Map<String, Double>> byMethodAndPolicy = new LinkedHashMap<>();
        byMethodAndPolicy.put("memsfl", byPolicy);
        byMethodAndPolicy.put("sfl-lora", Map.of("fcfs", 16.9, "schrage", 15.8, "exact", 15.7, "random", 17.2));

        List<GanttSlot> gantt = new ArrayList<>();
        double t = 0;
        // device i's step k on the server; the server serves one step at a time
        double[] dur = {0.9, 0.6, 0.35};
        for (int k = 0; k < 4; k++) {
            for (int i = DEVICES.size() - 1; i >= 0; i--) {
                gantt.add(new GanttSlot(DEVICES.get(i), k, t, t + dur[i]));
                t += dur[i] + 0.05;
            }
        }

        List<ScaleRow> scale = List.of(
                new ScaleRow("memsfl", "random:gpt2-medium", 1_650L * MIB, 512L * MIB, 95.3, List.of()),
                new ScaleRow("sfl-lora", "random:gpt2-medium", 2_410L * MIB, 905L * MIB, 121.7,
                        List.of("phone-low")),
                new ScaleRow("fedlora", "random:gpt2-medium", 0L, 3_050L * MIB, 310.0,
                        List.of("phone-low", "tablet-mid")));

        return new ReportInput("MemSFL demo run: <gpt2-tiny> & friends", settings, rounds, methods, byPolicy,
                byMethodAndPolicy, gantt, "schrage", scale);
    }

    /**
     * The fixture with all five method names (splitlora and centralized added), task quality for each, and a long
     * settings value, as a full comparison with --generate produces.
     */
    static ReportInput withQuality() {
        ReportInput base = input();
        Map<String, MethodSummary> methods = new LinkedHashMap<>(base.methods());
        methods.put("splitlora", summary(300 * MIB, 90 * MIB, 0.5, 80.0, 2.31, null, List.of()));
        methods.put("centralized", summary(300 * MIB, 120 * MIB, 1.0, 20.0, 2.20, null, List.of()));
        Map<String, ReportInput.Quality> quality = new LinkedHashMap<>();
        double[] headline = {0.231, 0.228, 0.199, 0.224, 0.240};
        int i = 0;
        for (String m : methods.keySet()) {
            Map<String, Double> perDevice = new LinkedHashMap<>();
            for (int d = 0; d < DEVICES.size(); d++) {
                perDevice.put(DEVICES.get(d), headline[i] - 0.02 * d);
            }
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("bleu", headline[i]);
            metrics.put("nist", 10 * headline[i]);
            metrics.put("meteor", headline[i] / 2);
            metrics.put("rouge_l", headline[i] + 0.1);
            metrics.put("cider", 3 * headline[i]);
            quality.put(m, new ReportInput.Quality("bleu", metrics, perDevice, Map.of(3, headline[i])));
            i++;
        }
        Map<String, Object> settings = new LinkedHashMap<>(base.settings());
        settings.put("a_long_setting", "x".repeat(400));
        return new ReportInput(base.title(), settings, base.rounds(), methods, base.roundTimeByPolicy(),
                base.roundTimeByMethodAndPolicy(), base.gantt(), base.ganttPolicy(), base.scale(), quality);
    }
}
