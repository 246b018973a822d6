package org.memsfl.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The device bench's summary: measured against modeled per variant, the cut-to-full ratios, and a console table. */
final class DeviceMemoryComparison {

    private DeviceMemoryComparison() {
    }

    /** Per variant: measured and modeled, and the headline ratios of the cut variant to the full one. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> compare(Map<String, Object> children, String cutVariant, String fullVariant) {
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, Object> per = new LinkedHashMap<>();
        children.forEach((v, o) -> {
            Map<String, Object> m = (Map<String, Object>) o;
            Map<String, Object> mb = (Map<String, Object>) m.get("model_bytes");
            Map<String, Object> row = new LinkedHashMap<>();
            long held = num(m.get("peak_above_before_model_bytes"));
            long modeled = num(m.get("modeled_total_bytes"));
            row.put("rss_before_model_bytes", num(m.get("rss_before_model_bytes")));
            row.put("peak_rss_bytes", num(m.get("peak_rss_bytes")));
            row.put("peak_above_before_model_bytes", held);
            row.put("steps_peak_above_before_model_bytes", num(m.get("steps_peak_above_before_model_bytes")));
            row.put("load_peak_above_before_model_bytes", num(m.get("load_peak_above_before_model_bytes")));
            row.put("load_transient_bytes", num(m.get("load_transient_bytes")));
            row.put("rss_after_load_above_before_model_bytes", num(m.get("rss_after_load_above_before_model_bytes")));
            row.put("static_bytes", num(mb.get("static_total")));
            row.put("frozen_weight_bytes", num(mb.get("frozen_total")));
            row.put("modeled_total_bytes", modeled);
            row.put("modeled_static_bytes", num(m.get("modeled_static_bytes")));
            row.put("measured_over_modeled", modeled > 0 ? (double) held / modeled : null);
            row.put("steps_measured_over_modeled", modeled > 0
                    ? (double) num(m.get("steps_peak_above_before_model_bytes")) / modeled : null);
            row.put("gap_bytes", held - modeled);
            per.put(v, row);
        });
        c.put("per_variant", per);
        if (per.containsKey(cutVariant) && per.containsKey(fullVariant)) {
            Map<String, Object> a = (Map<String, Object>) per.get(cutVariant);
            Map<String, Object> b = (Map<String, Object>) per.get(fullVariant);
            Map<String, Object> h = new LinkedHashMap<>();
            Double measured = ratio(a, b, "peak_above_before_model_bytes");
            Double steps = ratio(a, b, "steps_peak_above_before_model_bytes");
            Double modeled = ratio(a, b, "modeled_total_bytes");
            h.put("measured_" + cutVariant + "_over_full", measured);
            h.put("measured_steps_" + cutVariant + "_over_full", steps);
            h.put("modeled_" + cutVariant + "_over_full", modeled);
            h.put("static_" + cutVariant + "_over_full", ratio(a, b, "static_bytes"));
            h.put("measured_peak_rss_" + cutVariant + "_over_full", ratio(a, b, "peak_rss_bytes"));
            h.put("measured_less_than_a_third", measured != null && measured < 1.0 / 3);
            h.put("measured_steps_less_than_a_third", steps != null && steps < 1.0 / 3);
            h.put("modeled_less_than_a_third", modeled != null && modeled < 1.0 / 3);
            long dMeasured = num(b.get("peak_above_before_model_bytes")) - num(a.get("peak_above_before_model_bytes"));
            long dModeled = num(b.get("modeled_total_bytes")) - num(a.get("modeled_total_bytes"));
            h.put("measured_saving_bytes", dMeasured);
            h.put("modeled_saving_bytes", dModeled);
            h.put("saving_measured_over_modeled", dModeled != 0 ? (double) dMeasured / dModeled : null);
            long dSteps = num(b.get("steps_peak_above_before_model_bytes"))
                    - num(a.get("steps_peak_above_before_model_bytes"));
            h.put("measured_steps_saving_bytes", dSteps);
            h.put("steps_saving_measured_over_modeled", dModeled != 0 ? (double) dSteps / dModeled : null);
            c.put("headline", h);
        }
        return c;
    }

    static Double ratio(Map<String, Object> a, Map<String, Object> b, String key) {
        double x = num(a.get(key));
        double y = num(b.get(key));
        return y > 0 ? x / y : null;
    }

    static long num(Object o) {
        return o == null ? -1 : ((Number) o).longValue();
    }

    /** A plain-text table of the comparison, for the console. */
    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> res) {
        Map<String, Object> cmp = (Map<String, Object>) res.get("comparison");
        Map<String, Object> per = (Map<String, Object>) cmp.get("per_variant");
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "device memory, %s, batch %s x seq %s, LoRA r%s %s, allocator %s%n",
                res.get("model"), res.get("batch"), res.get("seq_len"),
                ((Map<String, Object>) res.get("lora")).get("rank"), ((Map<String, Object>) res.get("lora")).get("targets"),
                res.get("allocator")));
        sb.append(String.format(Locale.ROOT, "%-8s %10s %10s %10s %10s %10s %10s %10s %9s %9s%n", "variant",
                "rss0 MiB", "peak MiB", "held MiB", "load MiB", "steps MiB", "static MiB", "model MiB", "held/mod",
                "steps/mod"));
        per.forEach((v, o) -> {
            Map<String, Object> r = (Map<String, Object>) o;
            sb.append(String.format(Locale.ROOT, "%-8s %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %9s %9s%n", v,
                    MemoryProbe.mib(num(r.get("rss_before_model_bytes"))),
                    MemoryProbe.mib(num(r.get("peak_rss_bytes"))),
                    MemoryProbe.mib(num(r.get("peak_above_before_model_bytes"))),
                    MemoryProbe.mib(num(r.get("load_peak_above_before_model_bytes"))),
                    MemoryProbe.mib(num(r.get("steps_peak_above_before_model_bytes"))),
                    MemoryProbe.mib(num(r.get("static_bytes"))),
                    MemoryProbe.mib(num(r.get("modeled_total_bytes"))),
                    fmt(r.get("measured_over_modeled")), fmt(r.get("steps_measured_over_modeled"))));
        });
        Map<String, Object> h = (Map<String, Object>) cmp.get("headline");
        if (h != null) {
            h.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-40s %s%n", k,
                    v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v))));
        }
        return sb.toString();
    }

    private static String fmt(Object ratio) {
        return ratio == null ? "-" : String.format(Locale.ROOT, "%.3f", ((Number) ratio).doubleValue());
    }
}
