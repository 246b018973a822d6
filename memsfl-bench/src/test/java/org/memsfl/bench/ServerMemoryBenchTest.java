package org.memsfl.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parent's comparison of {@link ServerMemoryBench}: reductions and step-time ratios for the recompute variants. */
class ServerMemoryBenchTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(ServerMemoryChild.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
        assertThat(ServerMemoryChild.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
    }

    @Test
    @SuppressWarnings("unchecked")
    void recomputeVariantsAreComparedWithSflV1AndTimedAgainstMemsfl() {
        Map<String, Object> children = new LinkedHashMap<>();
        children.put("memsfl", child(2000, 1800, 10.0));
        children.put("memsfl-rc", child(1500, 1400, 13.0));
        children.put("memsfl-mb1-rc", child(1200, 1100, 14.0));
        children.put("sfl-v1", child(6000, 5600, null));
        Map<String, Object> c = ServerMemoryComparison.compare(children);
        Map<String, Object> per = (Map<String, Object>) c.get("per_variant");
        assertThat((Double) ((Map<String, Object>) per.get("memsfl-rc")).get("server_busy_over_memsfl"))
                .isCloseTo(1.3, within(1e-12));
        assertThat((Double) ((Map<String, Object>) per.get("memsfl")).get("server_busy_over_memsfl")).isEqualTo(1.0);
        assertThat(((Map<String, Object>) per.get("sfl-v1")).get("server_busy_over_memsfl")).isNull();
        Map<String, Object> rc = (Map<String, Object>) c.get("memsfl-rc_vs_sfl-v1");
        assertThat((Double) rc.get("measured_reduction")).isCloseTo(0.75, within(1e-12));
        assertThat((Double) rc.get("modeled_reduction")).isCloseTo(0.75, within(1e-12));
        assertThat(c).containsKey("memsfl-mb1-rc_vs_sfl-v1").doesNotContainKey("memsfl-mb1_vs_sfl-v1");
    }

    private static Map<String, Object> child(long measured, long modeled, Double busy) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("peak_rss_above_baseline_bytes", measured);
        m.put("modeled", Map.of("server_peak_bytes", modeled,
                "static_bytes", 1000L));
        if (busy != null) {
            m.put("median_server_busy_seconds_per_round", busy);
        }
        return m;
    }
}
