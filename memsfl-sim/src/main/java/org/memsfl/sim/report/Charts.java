package org.memsfl.sim.report;

import java.awt.Color;
import java.awt.Font;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.memsfl.sim.report.ReportInput.MethodRound;
import org.memsfl.sim.report.ReportInput.MethodSummary;

/** The XChart charts of the report; each builder returns {@code null} when there is nothing to plot. */
final class Charts {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    static final int W = 900;
    static final int H = 480;

    /** The method whose per-device memory and per-policy round times get their own charts. */
    static final String MEMSFL = org.memsfl.sim.method.Methods.OURS.id();

    private static final Color[] SERIES = {
        new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0xD62728), new Color(0x9467BD),
        new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F), new Color(0xBCBD22), new Color(0x17BECF),
    };
    private static final Color UNATTRIBUTED = new Color(0xC7C7C7);
    static final String UNATTRIBUTED_KEY = "unattributed";

    private Charts() {
    }

    // ---------------------------------------------------------------------------------------------- loss lines

    /** One series per method, x = round; non-finite values are left out. */
    static XYChart loss(List<MethodRound> rounds, boolean eval) {
        Map<String, TreeMap<Integer, Double>> byMethod = new LinkedHashMap<>();
        for (MethodRound r : rounds) {
            double v = eval ? r.evalLoss() : r.trainLoss();
            if (Double.isFinite(v)) {
                byMethod.computeIfAbsent(r.method(), k -> new TreeMap<>()).put(r.round(), v);
            }
        }
        if (byMethod.isEmpty()) {
            return null;
        }
        XYChart chart = new XYChartBuilder().width(W).height(H)
                .title((eval ? "Eval" : "Train") + " loss per round").xAxisTitle("round")
                .yAxisTitle(eval ? "eval loss" : "train loss").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setMarkerSize(7);
        chart.getStyler().setYAxisDecimalPattern("0.000");
        chart.getStyler().setxAxisTickLabelsFormattingFunction(
                x -> Math.abs(x - Math.rint(x)) < 1e-9 ? Long.toString(Math.round(x)) : "");
        int i = 0;
        for (Map.Entry<String, TreeMap<Integer, Double>> e : byMethod.entrySet()) {
            List<Integer> xs = new ArrayList<>(e.getValue().keySet());
            List<Double> ys = new ArrayList<>(e.getValue().values());
            if (xs.size() == 1) { // XChart draws nothing for a one-point line without a marker
                xs.add(xs.get(0));
                ys.add(ys.get(0));
            }
            var s = chart.addSeries(e.getKey(), xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineColor(SERIES[i % SERIES.length]);
            s.setMarkerColor(SERIES[i % SERIES.length]);
            i++;
        }
        return chart;
    }

    // ------------------------------------------------------------------------------------------ memory stacks

    /** Memory categories in order of first appearance (servers first, then devices), without {@code total}. */
    static List<String> categories(Map<String, MethodSummary> methods) {
        Set<String> cats = new LinkedHashSet<>();
        for (MethodSummary m : methods.values()) {
            m.serverMemoryByCategory().keySet().stream().filter(k -> !isTotal(k)).forEach(cats::add);
        }
        for (MethodSummary m : methods.values()) {
            for (Map<String, Long> byCat : m.deviceMemoryByCategory().values()) {
                byCat.keySet().stream().filter(k -> !isTotal(k)).forEach(cats::add);
            }
        }
        return new ArrayList<>(cats);
    }

    static boolean isTotal(String key) {
        return key.equalsIgnoreCase("total");
    }

    /** A bar to stack: its label, its peak and its breakdown by category. */
    record Stack(String label, long peakBytes, Map<String, Long> byCategory) {
    }

    /** Server peak per method, stacked by category. */
    static CategoryChart serverMemory(Map<String, MethodSummary> methods, List<String> categories) {
        List<Stack> stacks = new ArrayList<>();
        methods.forEach((name, m) -> stacks.add(new Stack(name, m.serverPeakBytes(), m.serverMemoryByCategory())));
        return stacked("Server peak memory per method", "method", stacks, categories);
    }

    /** Server peak per method at the scale shape, stacked by category; {@code null} when no row is broken down. */
    static CategoryChart scaleServerMemory(List<ReportInput.ScaleRow> rows, List<String> categories) {
        List<Stack> stacks = new ArrayList<>();
        for (ReportInput.ScaleRow r : rows) {
            if (!r.serverMemoryByCategory().isEmpty()) {
                stacks.add(new Stack(r.method(), r.serverPeakBytes(), r.serverMemoryByCategory()));
            }
        }
        if (stacks.isEmpty()) {
            return null;
        }
        return stacked("Server peak memory per method at " + rows.get(0).model(), "method", stacks, categories);
    }

    /** The largest device peak per method (the device named under the bar), stacked by category. */
    static CategoryChart maxDeviceMemory(Map<String, MethodSummary> methods, List<String> categories) {
        List<Stack> stacks = new ArrayList<>();
        methods.forEach((name, m) -> {
            Map.Entry<String, Long> max = Tables.maxDevice(m);
            if (max == null) {
                stacks.add(new Stack(name, 0, Map.of()));
            } else {
                stacks.add(new Stack(name + " (" + max.getKey() + ")", max.getValue(),
                        m.deviceMemoryByCategory().getOrDefault(max.getKey(), Map.of())));
            }
        });
        return stacked("Largest device peak memory per method", "method (device)", stacks, categories);
    }

    /** Every device's peak for one method, stacked by category; {@code null} if it has no devices. */
    static CategoryChart perDeviceMemory(String method, MethodSummary m, List<String> categories) {
        List<Stack> stacks = new ArrayList<>();
        Set<String> devices = new LinkedHashSet<>(m.devicePeakBytes().keySet());
        devices.addAll(m.deviceMemoryByCategory().keySet());
        for (String d : devices) {
            Map<String, Long> byCat = m.deviceMemoryByCategory().getOrDefault(d, Map.of());
            long peak = m.devicePeakBytes().getOrDefault(d, sum(byCat));
            stacks.add(new Stack(d, peak, byCat));
        }
        if (stacks.isEmpty()) {
            return null;
        }
        return stacked("Device peak memory, " + method, "device", stacks, categories);
    }

    private static CategoryChart stacked(String title, String xTitle, List<Stack> stacks, List<String> categories) {
        if (stacks.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder().width(W).height(H).title(title).xAxisTitle(xTitle)
                .yAxisTitle("MiB").build();
        style(chart.getStyler());
        chart.getStyler().setStacked(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisDecimalPattern("#,##0.#");
        chart.getStyler().setYAxisMin(0.0);
        if (stacks.size() > 4) {
            chart.getStyler().setXAxisLabelRotation(20);
        }
        List<String> labels = stacks.stream().map(Stack::label).toList();
        List<Color> colors = new ArrayList<>();
        int added = 0;
        for (int c = 0; c < categories.size(); c++) {
            String cat = categories.get(c);
            List<Double> ys = new ArrayList<>();
            boolean any = false;
            for (Stack s : stacks) {
                long b = s.byCategory().getOrDefault(cat, 0L);
                any |= b > 0;
                ys.add(Fmt.toMib(b));
            }
            if (any) {
                chart.addSeries(cat, labels, ys);
                colors.add(SERIES[c % SERIES.length]);
                added++;
            }
        }
        // whatever of the peak the categories do not explain (or the whole peak when there is no breakdown)
        List<Double> rest = new ArrayList<>();
        boolean anyRest = false;
        for (Stack s : stacks) {
            long r = Math.max(0, s.peakBytes() - sum(s.byCategory()));
            anyRest |= r > 0;
            rest.add(Fmt.toMib(r));
        }
        if (anyRest || added == 0) {
            chart.addSeries(UNATTRIBUTED_KEY, labels, rest);
            colors.add(UNATTRIBUTED);
        }
        chart.getStyler().setSeriesColors(colors.toArray(new Color[0]));
        return chart;
    }

    static long sum(Map<String, Long> byCategory) {
        long s = 0;
        for (Map.Entry<String, Long> e : byCategory.entrySet()) {
            if (!isTotal(e.getKey())) {
                s += e.getValue();
            }
        }
        return s;
    }

    // --------------------------------------------------------------------------------------------- round time

    /** One bar per label; non-finite values are left out; {@code null} if nothing is left. */
    static CategoryChart bars(String title, String xTitle, String seriesName, Map<String, Double> values) {
        return bars(title, xTitle, "simulated round time (s)", seriesName, values);
    }

    /** One bar per label with a y-axis title of its own; {@code null} if no finite value. */
    static CategoryChart bars(String title, String xTitle, String yTitle, String seriesName,
            Map<String, Double> values) {
        List<String> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        values.forEach((k, v) -> {
            if (Double.isFinite(v)) {
                xs.add(k);
                ys.add(v);
            }
        });
        if (xs.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder().width(W).height(H).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        style(chart.getStyler());
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern(decimalPattern(ys));
        if (xs.size() > 6) {
            chart.getStyler().setXAxisLabelRotation(20);
        }
        chart.addSeries(seriesName, xs, ys);
        chart.getStyler().setSeriesColors(new Color[] {SERIES[0]});
        return chart;
    }

    /** Grouped bars: x = policy, one series per method; a missing pair is left empty. */
    static CategoryChart grouped(Map<String, Map<String, Double>> byMethodAndPolicy) {
        return grouped("Simulated round time per method and scheduling policy", "policy", "simulated round time (s)",
                byMethodAndPolicy);
    }

    /** Grouped bars: x = the inner keys, one series per outer key; a missing pair is left empty. */
    static CategoryChart grouped(String title, String xTitle, String yTitle,
            Map<String, Map<String, Double>> byMethodAndPolicy) {
        Set<String> policies = new LinkedHashSet<>();
        byMethodAndPolicy.values().forEach(m -> m.forEach((p, v) -> {
            if (Double.isFinite(v)) {
                policies.add(p);
            }
        }));
        if (policies.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder().width(W).height(H).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisMin(0.0);
        List<String> xs = new ArrayList<>(policies);
        List<Double> all = new ArrayList<>();
        List<Color> colors = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, Map<String, Double>> e : byMethodAndPolicy.entrySet()) {
            List<Double> ys = new ArrayList<>();
            boolean any = false;
            for (String p : xs) {
                Double v = e.getValue().get(p);
                boolean ok = v != null && Double.isFinite(v);
                any |= ok;
                ys.add(ok ? v : 0.0); // XChart needs a value per category; a zero bar is invisible
                if (ok) {
                    all.add(v);
                }
            }
            if (any) {
                chart.addSeries(e.getKey(), xs, ys);
                colors.add(SERIES[i % SERIES.length]);
            }
            i++;
        }
        chart.getStyler().setYAxisDecimalPattern(decimalPattern(all));
        chart.getStyler().setSeriesColors(colors.toArray(new Color[0]));
        return chart;
    }

    private static String decimalPattern(List<Double> ys) {
        double max = 0;
        for (double y : ys) {
            max = Math.max(max, Math.abs(y));
        }
        return max >= 100 ? "#,##0.#" : max >= 1 ? "0.##" : "0.###";
    }

    // ------------------------------------------------------------------------------------------------- style

    private static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLegendBorderColor(new Color(0xCCCCCC));
        s.setAntiAlias(true);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setSeriesColors(SERIES);
        if (s instanceof org.knowm.xchart.style.AxesChartStyler a) {
            a.setLocale(Locale.ROOT);
            a.setPlotGridLinesColor(new Color(0xE3E3E3));
            a.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            a.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        }
    }
}
