package org.memsfl.sim.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.cost.MemoryBreakdown;
import org.memsfl.sim.report.ReportInput;

/** Turns experiment results and a scale study into the report's input. */
public final class Reports {

    private Reports() {
    }

    public static ReportInput input(String title, Map<String, Object> settings, List<MethodResult> results,
                                    ScaleStudy scale) {
        List<ReportInput.MethodRound> rounds = new ArrayList<>();
        Map<String, ReportInput.MethodSummary> methods = new LinkedHashMap<>();
        Map<String, ReportInput.Quality> quality = new LinkedHashMap<>();
        for (MethodResult r : results) {
            if (r.task() != null) {
                quality.put(r.name(), quality(r));
            }
            for (RoundMetrics m : r.rounds()) {
                rounds.add(new ReportInput.MethodRound(m.method(), m.round(), finite(m.trainLoss()), m.evalLoss(),
                        m.simRoundTimeS(), m.wallS(), m.bytesUp(), m.bytesDown()));
            }
            Map<String, Long> devicePeaks = new LinkedHashMap<>();
            Map<String, Map<String, Long>> deviceCats = new LinkedHashMap<>();
            r.memory().devices().forEach((id, b) -> {
                devicePeaks.put(id, b.total());
                deviceCats.put(id, categories(b));
            });
            methods.put(r.name(), new ReportInput.MethodSummary(r.memory().serverPeak(), devicePeaks, r.roundTimeS(),
                    r.wallS(), r.finalEvalLoss(), r.bytesUp(), r.bytesDown(), categories(r.memory().server()),
                    deviceCats, null, r.dropped()));
        }
        Map<String, Object> s = new LinkedHashMap<>(settings);
        s.put("scale_shape", scale.modelSpec());
        s.put("scale_cuts", scale.plan().cuts());
        return new ReportInput(title, s, rounds, methods, scale.roundTimeByPolicy(), null, scale.gantt(),
                settings.get("scheduler") + " at " + scale.modelSpec(), scale.rows(), quality);
    }

    private static ReportInput.Quality quality(MethodResult r) {
        String metric = r.task().metrics().keySet().iterator().next();
        Map<Integer, Double> byRound = new LinkedHashMap<>();
        for (RoundMetrics m : r.rounds()) {
            Double v = m.taskMetrics().get(metric);
            if (v != null) {
                byRound.put(m.round(), v);
            }
        }
        Map<String, Double> perDevice = r.task().perDevice() == null ? Map.of() : r.task().perDevice().perDevice();
        return new ReportInput.Quality(metric, r.task().metrics(), perDevice, byRound);
    }

    private static double finite(double v) {
        return Double.isFinite(v) ? v : 0;
    }

    static Map<String, Long> categories(MemoryBreakdown b) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("frozen_weights", b.frozenWeights());
        m.put("lora_params", b.loraParams());
        m.put("lora_grads", b.loraGrads());
        m.put("optimizer_state", b.optimizerState());
        m.put("activations", b.activations());
        m.put("buffers", b.buffers());
        return m;
    }
}
