package org.memsfl.sim.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.memsfl.sim.method.Methods;
import org.memsfl.sim.report.ReportInput.MethodSummary;
import org.memsfl.sim.report.ReportInput.ScaleRow;

/**
 * The report's first panel: did memsfl win? One row per question, each with memsfl's figure, the baseline's, their
 * ratio and a one-line verdict: server memory and round time against every baseline (at the scale shape when both
 * have a scale row, since that is where memory matters, else both at the trained model), and the quality gap against
 * centralized and splitlora (held-out loss and the task metric of generated answers).
 */
final class AnswerPanel {

    /** Relative differences below these are called "about the same". */
    static final double COST_TOLERANCE = 0.02;
    static final double LOSS_TOLERANCE = 0.02;
    static final double METRIC_TOLERANCE = 0.05;

    /** One comparison; {@code ratio} is memsfl / baseline. */
    record Row(String question, String baseline, String memsfl, String other, double ratio, String verdict) {
    }

    private AnswerPanel() {
    }

    static List<Row> rows(ReportInput in) {
        List<Row> rows = new ArrayList<>();
        String ours = ReportWriter.memsflKey(in.methods());
        if (ours == null) {
            return rows;
        }
        for (String b : in.methods().keySet()) {
            if (b.equals(ours)) {
                continue;
            }
            boolean atScale = scale(in, ours) != null && scale(in, b) != null;
            double mine = atScale ? scale(in, ours).serverPeakBytes() : in.methods().get(ours).serverPeakBytes();
            double theirs = atScale ? scale(in, b).serverPeakBytes() : in.methods().get(b).serverPeakBytes();
            String verdict = cost(mine / theirs, "less memory", "more memory");
            if (Methods.find(b) != null && Methods.find(b).serverHoldsOnlyAdapters()) {
                verdict = fedloraMemory(mine / theirs, atScale ? scale(in, b).dropped() : in.methods().get(b).droppedDevices());
            }
            rows.add(new Row("server memory (" + shape(in, atScale) + ")", b, Fmt.mib((long) mine) + " MiB",
                    Fmt.mib((long) theirs) + " MiB", mine / theirs, verdict));
        }
        for (String b : in.methods().keySet()) {
            MethodSummary other = in.methods().get(b);
            if (Methods.find(b) == null || !Methods.find(b).qualityReference()) {
                continue;
            }
            double mine = in.methods().get(ours).finalEvalLoss();
            double theirs = other.finalEvalLoss();
            rows.add(new Row("held-out loss (nats/token, lower is better)", b, Fmt.loss(mine), Fmt.loss(theirs),
                    mine / theirs, lossVerdict(mine, theirs)));
            ReportInput.Quality q = in.quality().get(ours);
            ReportInput.Quality qb = in.quality().get(b);
            if (q != null && qb != null) {
                rows.add(new Row(q.metric() + " of generated answers (higher is better)", b, Fmt.score(q.value()),
                        Fmt.score(qb.value()), q.value() / qb.value(), metricVerdict(q.value(), qb.value())));
            }
        }
        for (String b : in.methods().keySet()) {
            if (b.equals(ours)) {
                continue;
            }
            boolean atScale = scale(in, ours) != null && scale(in, b) != null;
            double mine = atScale ? scale(in, ours).roundTimeS() : in.methods().get(ours).roundTimeS();
            double theirs = atScale ? scale(in, b).roundTimeS() : in.methods().get(b).roundTimeS();
            rows.add(new Row("simulated round time (" + shape(in, atScale) + ")", b, Fmt.seconds(mine) + " s",
                    Fmt.seconds(theirs) + " s", mine / theirs, cost(mine / theirs, "faster", "slower")));
        }
        return rows;
    }

    private static String shape(ReportInput in, boolean atScale) {
        return atScale ? in.scale().get(0).model() + ", cost model" : "trained model";
    }

    private static ScaleRow scale(ReportInput in, String method) {
        return in.scale().stream().filter(r -> r.method().equals(method)).findFirst().orElse(null);
    }

    /** For costs (memory, time): a ratio below 1 is good. */
    static String cost(double ratio, String better, String worse) {
        if (!Double.isFinite(ratio)) {
            return "not comparable";
        }
        if (Math.abs(ratio - 1) <= COST_TOLERANCE) {
            return "about the same";
        }
        return ratio < 1 ? pct(1 - ratio) + " " + better : pct(ratio - 1) + " " + worse;
    }

    /**
     * The memory verdict against fedlora, which no ratio states alone: fedlora's server holds only adapters (no
     * model), so it always needs less server memory, but every fedlora device must hold the full model, and a device
     * that cannot is left out of training (which memsfl, cutting the model, keeps).
     */
    static String fedloraMemory(double ratio, List<String> dropped) {
        String cost = Double.isFinite(ratio) ? cost(ratio, "less", "more") + "; " : "";
        return cost + "fedlora's server holds only adapters, no model, so it needs less server memory, but each of its"
                + " devices must hold the full model: " + (dropped.isEmpty()
                ? "here every device could, so none was dropped"
                : dropped.size() + " device" + (dropped.size() == 1 ? "" : "s") + " that could not ("
                + String.join(", ", dropped) + ") " + (dropped.size() == 1 ? "was" : "were")
                + " dropped from fedlora, while memsfl trains with " + (dropped.size() == 1 ? "it" : "them"));
    }

    static String lossVerdict(double mine, double theirs) {
        if (!Double.isFinite(mine) || !Double.isFinite(theirs)) {
            return "not measured";
        }
        double rel = mine / theirs - 1;
        if (Math.abs(rel) <= LOSS_TOLERANCE) {
            return "comparable (within " + pct(LOSS_TOLERANCE) + ")";
        }
        return rel < 0 ? pct(-rel) + " lower: better" : pct(rel) + " higher: worse";
    }

    static String metricVerdict(double mine, double theirs) {
        if (!Double.isFinite(mine) || !Double.isFinite(theirs)) {
            return "not measured";
        }
        if (Math.max(mine, theirs) < 1e-3) {
            return "both near zero: no signal";
        }
        double rel = theirs == 0 ? Double.POSITIVE_INFINITY : mine / theirs - 1;
        if (Math.abs(rel) <= METRIC_TOLERANCE) {
            return "comparable (within " + pct(METRIC_TOLERANCE) + ")";
        }
        return rel > 0 ? pct(rel) + " higher: better" : pct(-rel) + " lower: worse";
    }

    private static String pct(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.0f%%", 100 * fraction) : "far";
    }

    static Tables.Table table(ReportInput in) {
        List<List<String>> rows = new ArrayList<>();
        for (Row r : rows(in)) {
            rows.add(List.of(r.question(), "vs " + r.baseline(), r.memsfl(), r.other(),
                    Double.isFinite(r.ratio()) ? String.format(Locale.ROOT, "%.2fx", r.ratio()) : Fmt.NA,
                    r.verdict()));
        }
        return new Tables.Table(List.of("question", "baseline", "memsfl", "baseline value", "ratio", "verdict"),
                new boolean[] {false, false, true, true, true, false}, rows);
    }
}
