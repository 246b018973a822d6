package org.memsfl.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The bench's summary: measured and modeled server peaks side by side, and memsfl's reductions against sfl-v1. */
final class ServerMemoryComparison {

    private ServerMemoryComparison() {
    }

    /** Measured and modeled peaks side by side, and the reductions of memsfl against each sfl-v1 variant. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> compare(Map<String, Object> children) {
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, Object> memsflChild = (Map<String, Object>) children.get(ServerVariant.MEMSFL.id);
        Map<String, Object> per = new LinkedHashMap<>();
        children.forEach((v, o) -> {
            Map<String, Object> m = (Map<String, Object>) o;
            Map<String, Object> mod = (Map<String, Object>) m.get("modeled");
            Map<String, Object> row = new LinkedHashMap<>();
            long peak = num(m.get("peak_rss_above_baseline_bytes"));
            long modeled = num(mod.get("server_peak_bytes"));
            row.put("measured_peak_rss_above_baseline_bytes", peak);
            row.put("measured_steps_peak_sampled_bytes", num(m.get("steps_peak_rss_sampled_above_baseline_bytes")));
            row.put("measured_steps_hwm_bytes", num(m.get("steps_hwm_above_baseline_bytes")));
            row.put("measured_build_peak_bytes", num(m.get("build_peak_rss_above_baseline_bytes")));
            row.put("measured_after_build_bytes", num(m.get("rss_after_build_above_baseline_bytes")));
            row.put("measured_after_build_trim_bytes", num(m.get("rss_after_build_trim_above_baseline_bytes")));
            row.put("static_tensor_bytes", num(m.get("static_tensor_bytes")));
            row.put("modeled_server_peak_bytes", modeled);
            row.put("modeled_static_bytes", num(mod.get("static_bytes")));
            row.put("modeled_workspace_and_grads_bytes", modeled - num(mod.get("static_bytes")));
            row.put("measured_over_modeled", modeled > 0 ? (double) peak / modeled : null);
            row.put("gap_bytes", peak - modeled);
            Object busy = m.get("median_server_busy_seconds_per_round");
            row.put("median_server_busy_seconds_per_round", busy);
            row.put("median_step_seconds_by_device", m.get("median_step_seconds_by_device"));
            Object base = memsflChild == null ? null : memsflChild.get("median_server_busy_seconds_per_round");
            row.put("server_busy_over_memsfl", busy instanceof Number b && base instanceof Number a
                    && a.doubleValue() > 0 ? b.doubleValue() / a.doubleValue() : null);
            per.put(v, row);
        });
        c.put("per_variant", per);
        for (String ours : ServerVariant.sequentialOnes().stream().map(v -> v.id).toList()) {
            if (!children.containsKey(ours)) {
                continue;
            }
            for (String base : ServerVariant.parallelOnes().stream().map(v -> v.id).toList()) {
                if (!children.containsKey(base)) {
                    continue;
                }
                Map<String, Object> a = (Map<String, Object>) per.get(ours);
                Map<String, Object> b = (Map<String, Object>) per.get(base);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("measured_reduction", reduction(a, b, "measured_peak_rss_above_baseline_bytes"));
                r.put("measured_reduction_steps_hwm", reduction(a, b, "measured_steps_hwm_bytes"));
                r.put("measured_reduction_after_build", reduction(a, b, "measured_after_build_bytes"));
                r.put("modeled_reduction", reduction(a, b, "modeled_server_peak_bytes"));
                r.put("modeled_reduction_static", reduction(a, b, "modeled_static_bytes"));
                c.put(ours + "_vs_" + base, r);
            }
        }
        return c;
    }

    static Double reduction(Map<String, Object> ours, Map<String, Object> theirs, String key) {
        double a = num(ours.get(key));
        double b = num(theirs.get(key));
        return b > 0 ? 1 - a / b : null;
    }

    static long num(Object o) {
        return o == null ? -1 : ((Number) o).longValue();
    }
}
