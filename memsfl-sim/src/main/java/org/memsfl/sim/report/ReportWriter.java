package org.memsfl.sim.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.internal.chartpart.Chart;
import org.memsfl.sim.report.ReportInput.GanttSlot;
import org.memsfl.sim.report.ReportInput.MethodRound;
import org.memsfl.sim.report.ReportInput.MethodSummary;
import org.memsfl.sim.timing.RoundTimeComparison;
import org.memsfl.util.AtomicFiles;

/**
 * Writes the experiment report: one self-contained {@code report.html} (charts embedded as base64 PNG data URIs,
 * no external resources) plus every chart as {@code charts/<name>.png} beside it. All files are written through a
 * temporary file and moved into place, so a reader never sees a half-written one.
 *
 * <p>The page answers first: {@link AnswerPanel} (memsfl's server memory, quality gap and round time against each
 * baseline, with ratios and verdicts), then task quality from generated answers (all devices, mean, worst device,
 * spread), loss curves, memory (server peak stacked by category, largest device peak, each device of the
 * ours, {@code Methods.OURS}), simulated round time (per method, per scheduling policy, optionally per method and
 * policy), the server's schedule as a Gantt chart, then the tables (summary, scale, per-round metrics, collapsible
 * and downloadable as {@code rounds.csv}) and the settings last. Tables scroll inside their box rather than widen
 * the page. A chart with nothing to plot is replaced by a note.
 */
public final class ReportWriter {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    public static final String REPORT_FILE = "report.html";
    public static final String CHART_DIR = "charts";

    private ReportWriter() {
    }

    /** One chart: its file name (without {@code .png}), heading, caption and PNG bytes ({@code null}: no data). */
    record Figure(String name, String title, String caption, byte[] png) {
    }

    /**
     * Writes {@code outDir/report.html} and {@code outDir/charts/*.png}, creating directories as needed.
     *
     * @return the path of {@code report.html}
     */
    public static Path write(Path outDir, ReportInput in) {
        return write(outDir, in, List.of());
    }

    /** As {@link #write(Path, ReportInput)}, with memsfl's round time against FCFS and sfl-v1 on each fleet. */
    public static Path write(Path outDir, ReportInput in, List<RoundTimeComparison> times) {
        Objects.requireNonNull(outDir, "outDir must not be null");
        Objects.requireNonNull(in, "ReportInput must not be null");
        List<Figure> figures = figures(in);
        Path charts = outDir.resolve(CHART_DIR);
        for (Figure f : figures) {
            if (f.png() != null) {
                byte[] png = f.png();
                AtomicFiles.write(charts.resolve(f.name() + ".png"), out -> out.write(png));
            }
        }
        AtomicFiles.writeString(outDir.resolve(RoundsCsv.FILE), RoundsCsv.render(in));
        Path report = outDir.resolve(REPORT_FILE);
        AtomicFiles.writeString(report, html(in, figures, times));
        return report;
    }

    // ------------------------------------------------------------------------------------------------ figures

    static List<Figure> figures(ReportInput in) {
        List<Figure> figs = new ArrayList<>();
        figs.add(chart("eval_loss", "Eval loss per round", "One line per method; x = round.",
                Charts.loss(in.rounds(), true)));
        figs.add(chart("train_loss", "Train loss per round", "One line per method; x = round.",
                Charts.loss(in.rounds(), false)));

        List<String> cats = Charts.categories(in.methods());
        String stackNote = " Stacked by category (MiB); \"" + Charts.UNATTRIBUTED_KEY
                + "\" is whatever of the peak the categories do not account for.";
        figs.add(chart("server_memory", "Server peak memory per method", "Cost-model server peak." + stackNote,
                in.methods().isEmpty() ? null : Charts.serverMemory(in.methods(), cats)));
        figs.add(chart("device_memory", "Largest device peak memory per method",
                "For each method, the device with the largest peak (named in brackets)." + stackNote,
                in.methods().isEmpty() ? null : Charts.maxDeviceMemory(in.methods(), cats)));
        if (!in.scale().isEmpty()) {
            figs.add(chart("scale_server_memory", "Server peak memory per method at " + in.scale().get(0).model(),
                    "Cost-model server peak at the scale shape, where memory matters; the scale table below gives the"
                            + " numbers." + stackNote, Charts.scaleServerMemory(in.scale(), cats)));
        }
        String memsfl = memsflKey(in.methods());
        if (memsfl != null) {
            figs.add(chart("device_memory_" + safe(memsfl), "Device peak memory, " + memsfl,
                    "Every device's peak under " + memsfl + "." + stackNote,
                    Charts.perDeviceMemory(memsfl, in.methods().get(memsfl), cats)));
        }

        Map<String, Double> roundTime = new LinkedHashMap<>();
        in.methods().forEach((name, m) -> roundTime.put(name, m.roundTimeS()));
        figs.add(chart("round_time", "Simulated round time per method", "Cost-model time of one round (s).",
                Charts.bars("Simulated round time per method", "method", "round time", roundTime)));
        figs.add(chart("round_time_by_policy", "Simulated round time per scheduling policy",
                "Round time of " + (memsfl == null ? Charts.MEMSFL : memsfl)
                        + " under each server scheduling policy (s).",
                Charts.bars("Simulated round time per scheduling policy", "policy", "round time",
                        in.roundTimeByPolicy())));
        if (!in.roundTimeByMethodAndPolicy().isEmpty()) {
            figs.add(chart("round_time_by_method_and_policy", "Simulated round time per method and policy",
                    "Grouped by policy, one bar per method (s).", Charts.grouped(in.roundTimeByMethodAndPolicy())));
        }

        if (!in.quality().isEmpty()) {
            String metric = in.quality().values().iterator().next().metric();
            Map<String, Double> all = new LinkedHashMap<>();
            Map<String, Map<String, Double>> byDevice = new LinkedHashMap<>();
            in.quality().forEach((name, q) -> {
                all.put(name, q.value());
                byDevice.put(name, q.perDevice());
            });
            figs.add(chart("task_metric", metric + " of generated answers per method",
                    "Greedy answers to every device's held-out prompts after the final round, scored together.",
                    Charts.bars(metric + " per method", "method", metric, metric, all)));
            figs.add(chart("task_metric_by_device", metric + " per device and method",
                    "Each device's own held-out prompts (its natural non-IID keys); one bar per method.",
                    Charts.grouped(metric + " per device", "device", metric, byDevice)));
        }

        String policy = in.ganttPolicy().isBlank() ? "" : " (" + in.ganttPolicy() + ")";
        figs.add(new Figure("gantt", "Server schedule for one round" + policy,
                "One row per device; each box is one local step on the server, labelled with its step number.",
                in.gantt().isEmpty() ? null : png(GanttChart.render(in.gantt(), in.ganttPolicy()))));
        return figs;
    }

    private static Figure chart(String name, String title, String caption, Chart<?, ?> chart) {
        if (chart == null) {
            return new Figure(name, title, caption, null);
        }
        try {
            return new Figure(name, title, caption, BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render chart " + name + ": " + e.getMessage(), e);
        }
    }

    static byte[] png(BufferedImage img) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            if (!ImageIO.write(img, "png", bytes)) {
                throw new IllegalStateException("no PNG writer available");
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode PNG: " + e.getMessage(), e);
        }
    }

    /** The key of the memsfl method (exact, then case-insensitive), or {@code null}. */
    static String memsflKey(Map<String, MethodSummary> methods) {
        if (methods.containsKey(Charts.MEMSFL)) {
            return Charts.MEMSFL;
        }
        for (String k : methods.keySet()) {
            if (k.equalsIgnoreCase(Charts.MEMSFL)) {
                return k;
            }
        }
        return null;
    }

    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    // --------------------------------------------------------------------------------------------------- html

    static String html(ReportInput in, List<Figure> figures) {
        return html(in, figures, List.of());
    }

    static String html(ReportInput in, List<Figure> figures, List<RoundTimeComparison> times) {
        Map<String, Figure> byName = new LinkedHashMap<>();
        figures.forEach(f -> byName.put(f.name(), f));
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(in.title())).append("</title>\n<style>\n").append(CSS)
                .append("</style>\n</head>\n<body>\n");
        h.append("<h1>").append(esc(in.title())).append("</h1>\n");
        h.append("<p class=\"sub\">memsfl experiment report &middot; methods: ")
                .append(esc(in.methods().isEmpty() ? "-" : String.join(", ", in.methods().keySet())))
                .append("</p>\n");
        h.append("<nav><a href=\"#answer\">Answer</a> <a href=\"#quality\">Quality</a> ")
                .append("<a href=\"#loss\">Loss</a> <a href=\"#memory\">Memory</a> ")
                .append("<a href=\"#time\">Round time</a> <a href=\"#schedule\">Schedule</a> ")
                .append("<a href=\"#summary\">Summary</a> <a href=\"#scale\">Scale</a> ")
                .append("<a href=\"#rounds\">Per round</a> <a href=\"#settings\">Settings</a></nav>\n");

        section(h, "answer", "Did memsfl win?");
        table(h, AnswerPanel.table(in), "no memsfl run to compare");
        h.append("<p class=\"note\">Ratio = memsfl / baseline. Memory and round time come from the cost models; ")
                .append("loss and task metric are measured on the trained model after the last round.</p>\n");
        if (!times.isEmpty()) {
            section(h, "time-claim", "Round time against FCFS and sfl-v1 (cost model)");
            table(h, RoundTimeTable.table(times), "");
            h.append("<p class=\"note\">One round at the scale shape, adapter exchange included. The paper reports ")
                    .append("memsfl's round about 6% shorter where the edge server is the bottleneck; where it is ")
                    .append("seldom busy, the order it serves steps in changes little. No order beats the slowest ")
                    .append("device's steps back to back; server recompute (memory) lengthens each server step. ")
                    .append("Also in scale.json.</p>\n");
        }

        section(h, "quality", "Task quality");
        if (in.quality().isEmpty()) {
            h.append("<p class=\"empty\">not evaluated by generation (run with --generate)</p>\n");
        } else {
            table(h, Tables.quality(in.quality()), "");
            figure(h, byName.get("task_metric"));
            figure(h, byName.get("task_metric_by_device"));
            h.append("<details><summary>per device</summary>\n");
            table(h, Tables.qualityByDevice(in.quality()), "");
            h.append("</details>\n");
        }

        section(h, "loss", "Loss");
        figure(h, byName.get("eval_loss"));
        figure(h, byName.get("train_loss"));

        section(h, "memory", "Memory");
        figure(h, byName.get("server_memory"));
        h.append("<details><summary>server memory by category</summary>\n");
        memoryTable(h, in.methods());
        h.append("</details>\n");
        if (byName.containsKey("scale_server_memory")) {
            figure(h, byName.get("scale_server_memory"));
        }
        figure(h, byName.get("device_memory"));
        String memsfl = memsflKey(in.methods());
        if (memsfl != null) {
            figure(h, byName.get("device_memory_" + safe(memsfl)));
        }

        section(h, "time", "Round time");
        figure(h, byName.get("round_time"));
        figure(h, byName.get("round_time_by_policy"));
        policyTable(h, in.roundTimeByPolicy());
        if (byName.containsKey("round_time_by_method_and_policy")) {
            figure(h, byName.get("round_time_by_method_and_policy"));
        }

        section(h, "schedule", "Server schedule");
        figure(h, byName.get("gantt"));
        if (!in.gantt().isEmpty()) {
            double makespan = in.gantt().stream().mapToDouble(GanttSlot::endS).max().orElse(0);
            h.append("<p class=\"note\">").append(in.gantt().size()).append(" slots over ")
                    .append(GanttChart.devices(in.gantt()).size()).append(" devices; makespan ")
                    .append(esc(Fmt.seconds(makespan))).append(" s.</p>\n");
        }

        section(h, "summary", "Summary per method");
        table(h, Tables.summary(in.methods()), "no methods");
        h.append("<p class=\"note\">Peaks are cost-model bytes at the backward pass; the measured server peak comes ")
                .append("from the allocator where it was recorded. Bytes up/down are totals over the run.</p>\n");

        section(h, "scale", "Scale (cost model)");
        table(h, Tables.scale(in.scale()), "no scale rows");
        h.append("<p class=\"note\">").append(esc("Cuts " + in.settings().get("scale_cuts") + "; device layers stored"
                + " as " + in.settings().get("device_weights") + ", which the cuts and device peaks price.")).append("</p>\n");

        section(h, "rounds", "Per-round metrics");
        h.append("<p><a download=\"").append(RoundsCsv.FILE).append("\" href=\"data:text/csv;base64,")
                .append(Base64.getEncoder().encodeToString(RoundsCsv.render(in).getBytes(StandardCharsets.UTF_8)))
                .append("\">Download per-round metrics (CSV)</a> <span class=\"file\">").append(RoundsCsv.FILE)
                .append("</span></p>\n");
        roundsTable(h, in.rounds());

        section(h, "settings", "Settings");
        settingsTable(h, in.settings());

        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static void section(StringBuilder h, String id, String title) {
        h.append("<h2 id=\"").append(id).append("\">").append(esc(title)).append("</h2>\n");
    }

    private static void figure(StringBuilder h, Figure f) {
        if (f == null) {
            return;
        }
        h.append("<figure>\n");
        if (f.png() == null) {
            h.append("<p class=\"empty\">").append(esc(f.title())).append(": no data</p>\n");
        } else {
            h.append("<img alt=\"").append(esc(f.title())).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(f.png())).append("\">\n");
        }
        h.append("<figcaption><b>").append(esc(f.title())).append(".</b> ").append(esc(f.caption()));
        if (f.png() != null) {
            h.append(" <span class=\"file\">").append(CHART_DIR).append('/').append(esc(f.name()))
                    .append(".png</span>");
        }
        h.append("</figcaption>\n</figure>\n");
    }

    private static void settingsTable(StringBuilder h, Map<String, Object> settings) {
        if (settings.isEmpty()) {
            h.append("<p class=\"empty\">no settings</p>\n");
            return;
        }
        h.append("<div class=\"tw\"><table class=\"kv\">\n");
        settings.forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>")
                .append(esc(Fmt.value(v))).append("</td></tr>\n"));
        h.append("</table></div>\n");
    }

    private static void table(StringBuilder h, Tables.Table t, String empty) {
        if (t.rows().isEmpty()) {
            h.append("<p class=\"empty\">").append(esc(empty)).append("</p>\n");
            return;
        }
        h.append("<div class=\"tw\"><table>\n<thead><tr>");
        for (int c = 0; c < t.header().size(); c++) {
            h.append(t.numeric()[c] ? "<th class=\"num\">" : "<th>").append(esc(t.header().get(c))).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (List<String> row : t.rows()) {
            h.append("<tr>");
            for (int c = 0; c < row.size(); c++) {
                h.append(t.numeric()[c] ? "<td class=\"num\">" : "<td>").append(esc(row.get(c))).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table></div>\n");
    }

    /** Server peak by category per method, in MiB, with the peak itself. */
    private static void memoryTable(StringBuilder h, Map<String, MethodSummary> methods) {
        List<String> cats = new ArrayList<>();
        for (MethodSummary m : methods.values()) {
            m.serverMemoryByCategory().keySet().stream().filter(k -> !Charts.isTotal(k) && !cats.contains(k))
                    .forEach(cats::add);
        }
        if (methods.isEmpty() || cats.isEmpty()) {
            return;
        }
        List<String> header = new ArrayList<>();
        header.add("server MiB by category");
        header.addAll(cats);
        header.add("peak");
        boolean[] numeric = new boolean[header.size()];
        Arrays.fill(numeric, 1, numeric.length, true);
        List<List<String>> rows = new ArrayList<>();
        methods.forEach((name, m) -> {
            List<String> row = new ArrayList<>();
            row.add(name);
            for (String c : cats) {
                Long b = m.serverMemoryByCategory().get(c);
                row.add(b == null ? Fmt.NONE : Fmt.mib(b));
            }
            row.add(Fmt.mib(m.serverPeakBytes()));
            rows.add(row);
        });
        table(h, new Tables.Table(header, numeric, rows), "");
    }

    private static void policyTable(StringBuilder h, Map<String, Double> byPolicy) {
        double best = byPolicy.values().stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).min()
                .orElse(Double.NaN);
        if (byPolicy.isEmpty()) {
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        byPolicy.forEach((p, s) -> rows.add(List.of(p, Fmt.seconds(s),
                best > 0 && Double.isFinite(s) ? String.format(Locale.ROOT, "%.3f", s / best) : Fmt.NA)));
        table(h, new Tables.Table(List.of("policy", "round time s", "vs best"), new boolean[] {false, true, true},
                rows), "");
    }

    private static void roundsTable(StringBuilder h, List<MethodRound> rounds) {
        if (rounds.isEmpty()) {
            h.append("<p class=\"empty\">no rounds</p>\n");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (MethodRound r : rounds) {
            rows.add(List.of(r.method(), Integer.toString(r.round()), Fmt.loss(r.trainLoss()), Fmt.loss(r.evalLoss()),
                    Fmt.seconds(r.simRoundTimeS()), Fmt.seconds(r.wallS()), Fmt.bytes(r.bytesUp()),
                    Fmt.bytes(r.bytesDown())));
        }
        h.append("<details><summary>").append(rounds.size()).append(" rows</summary>\n");
        table(h, new Tables.Table(List.of("method", "round", "train loss", "eval loss", "sim round time s", "wall s",
                "bytes up", "bytes down"), new boolean[] {false, true, true, true, true, true, true, true}, rows), "");
        h.append("</details>\n");
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static final String CSS = """
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
                   margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.4; }
            h1 { margin-bottom: 0.1em; }
            h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
            .sub { color: #666; margin-top: 0; }
            nav a { margin-right: 0.8em; }
            table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
            th, td { border: 1px solid #d6d6d6; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
            thead th { background: #f2f4f7; }
            table.kv th { background: #f7f7f9; font-weight: 600; }
            .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            figure { margin: 1.2em 0; }
            figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
            figcaption { color: #555; font-size: 0.9em; }
            .file { font-family: monospace; color: #888; margin-left: 0.5em; }
            .note { color: #555; font-size: 0.9em; }
            .empty { color: #999; font-style: italic; }
            .tw { max-width: 100%; overflow-x: auto; }
            table.kv td { overflow-wrap: anywhere; }
            details > summary { cursor: pointer; color: #335; }
            """;
}
