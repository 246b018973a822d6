package org.memsfl.sim.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.memsfl.sim.report.ReportInput.MethodSummary;
import org.memsfl.sim.report.ReportInput.ScaleRow;

/** The summary and scale tables as header + formatted cells, shared by the HTML report and {@link TextTable}. */
final class Tables {

    /** A table of already formatted cells; {@code numeric[c]} columns are right-aligned. */
    record Table(List<String> header, boolean[] numeric, List<List<String>> rows) {
    }

    static final List<String> SUMMARY_HEADER = List.of("method", "server peak MiB", "measured server MiB",
            "max device peak MiB", "max-peak device", "round time s", "wall s", "final eval loss", "bytes up",
            "bytes down", "dropped devices");
    private static final boolean[] SUMMARY_NUMERIC =
            {false, true, true, true, false, true, true, true, true, true, false};

    static final List<String> SCALE_HEADER = List.of("method", "model", "server peak MiB", "max device peak MiB",
            "round time s", "dropped devices");
    private static final boolean[] SCALE_NUMERIC = {false, false, true, true, true, false};

    private Tables() {
    }

    static Table summary(Map<String, MethodSummary> methods) {
        List<List<String>> rows = new ArrayList<>();
        methods.forEach((name, m) -> {
            Map.Entry<String, Long> maxDevice = maxDevice(m);
            rows.add(List.of(name, Fmt.mib(m.serverPeakBytes()), Fmt.mib(m.measuredServerPeakBytes()),
                    maxDevice == null ? Fmt.NONE : Fmt.mib(maxDevice.getValue()),
                    maxDevice == null ? Fmt.NONE : maxDevice.getKey(), Fmt.seconds(m.roundTimeS()),
                    Fmt.seconds(m.wallS()), Fmt.loss(m.finalEvalLoss()), Fmt.bytes(m.bytesUp()),
                    Fmt.bytes(m.bytesDown()), Fmt.list(m.droppedDevices())));
        });
        return new Table(SUMMARY_HEADER, SUMMARY_NUMERIC, rows);
    }

    static Table scale(List<ScaleRow> scale) {
        List<List<String>> rows = new ArrayList<>();
        for (ScaleRow r : scale) {
            rows.add(List.of(r.method(), r.model(), Fmt.mib(r.serverPeakBytes()), Fmt.mib(r.maxDevicePeakBytes()),
                    Fmt.seconds(r.roundTimeS()), Fmt.list(r.dropped())));
        }
        return new Table(SCALE_HEADER, SCALE_NUMERIC, rows);
    }

    /**
     * Task quality per method: every task metric over all devices' prompts, then the headline metric's mean over
     * devices, the worst device and the spread (best minus worst device).
     */
    static Table quality(Map<String, ReportInput.Quality> quality) {
        List<String> metrics = new ArrayList<>();
        quality.values().forEach(q -> q.metrics().keySet().stream().filter(k -> !metrics.contains(k))
                .forEach(metrics::add));
        String headline = quality.isEmpty() ? "" : quality.values().iterator().next().metric();
        List<String> header = new ArrayList<>();
        header.add("method");
        metrics.forEach(m -> header.add(m + " (all)"));
        header.addAll(List.of(headline + " device mean", "worst device", headline + " worst", "spread"));
        boolean[] numeric = new boolean[header.size()];
        java.util.Arrays.fill(numeric, true);
        numeric[0] = false;
        numeric[metrics.size() + 2] = false;
        List<List<String>> rows = new ArrayList<>();
        quality.forEach((name, q) -> {
            List<String> row = new ArrayList<>();
            row.add(name);
            metrics.forEach(m -> row.add(Fmt.score(q.metrics().getOrDefault(m, Double.NaN))));
            row.add(Fmt.score(q.deviceMean()));
            row.add(q.worstDevice().isEmpty() ? Fmt.NONE : q.worstDevice());
            row.add(Fmt.score(q.deviceWorst()));
            row.add(Fmt.score(q.deviceSpread()));
            rows.add(row);
        });
        return new Table(header, numeric, rows);
    }

    /** The headline metric of every method on every device (devices as columns). */
    static Table qualityByDevice(Map<String, ReportInput.Quality> quality) {
        List<String> devices = new ArrayList<>();
        quality.values().forEach(q -> q.perDevice().keySet().stream().filter(d -> !devices.contains(d))
                .forEach(devices::add));
        List<String> header = new ArrayList<>();
        header.add("method");
        header.addAll(devices);
        boolean[] numeric = new boolean[header.size()];
        java.util.Arrays.fill(numeric, true);
        numeric[0] = false;
        List<List<String>> rows = new ArrayList<>();
        quality.forEach((name, q) -> {
            List<String> row = new ArrayList<>();
            row.add(name);
            devices.forEach(d -> row.add(Fmt.score(q.perDevice().getOrDefault(d, Double.NaN))));
            rows.add(row);
        });
        return new Table(header, numeric, rows);
    }

    /** The device with the largest peak (first one on ties), or {@code null} when the method has no devices. */
    static Map.Entry<String, Long> maxDevice(MethodSummary m) {
        Map.Entry<String, Long> best = null;
        for (Map.Entry<String, Long> e : m.devicePeakBytes().entrySet()) {
            if (best == null || e.getValue() > best.getValue()) {
                best = e;
            }
        }
        return best;
    }
}
