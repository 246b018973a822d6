package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.Json;

/**
 * compare's report.html shows memsfl's modeled round time against FCFS and sfl-v1 near the top (before the
 * quality, loss and settings sections), and every figure it shows is scale.json's {@code round_time_comparison}
 * rounded to the digits shown: the tolerance is half a unit of the last digit printed, so a cell taken from any
 * other number (another fleet, another method's time, a swapped column) fails.
 */
class ReportRoundTimeTest {

    @Test
    void reportShowsScaleJsonRoundTimesBeforeTheSettings(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cmp");
        Cli.Result r = Cli.run("compare", "--model", "stories260K", "--data", "dolly", "--rounds", "1",
                "--local-steps", "1", "--eval-examples", "8", "--methods", "memsfl,sfl-v1", "--fleet",
                "paper-5-busy-server", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();

        JsonNode times = Json.MAPPER.readTree(out.resolve("scale.json").toFile()).get("round_time_comparison");
        assertThat(times.size()).isEqualTo(1);
        JsonNode t = times.get(0);
        assertThat(t.get("fleet").asText()).isEqualTo("paper-5-busy-server");

        String html = Files.readString(out.resolve("report.html"));
        int section = html.indexOf("<h2 id=\"time-claim\">");
        assertThat(section).as("round-time section").isPositive();
        assertThat(section).isLessThan(html.indexOf("<h2 id=\"quality\">"))
                .isLessThan(html.indexOf("<h2 id=\"settings\">"));
        String body = html.substring(section, html.indexOf("<h2", section + 1));
        List<List<String>> rows = rows(body);
        assertThat(rows).hasSize(1);
        List<String> row = rows.get(0);
        assertThat(row.get(0)).isEqualTo("paper-5-busy-server");
        assertThat(row.get(1)).isEqualTo(t.get("model").asText());
        assertShown(row.get(2).replace("%", ""), 100 * t.get("server_busy_fraction").asDouble());
        assertThat(row.get(3)).isEqualTo(t.get("scheduler").asText());
        assertShown(row.get(4), t.get("memsfl_round_s").asDouble());
        assertShown(row.get(5), t.get("fcfs_round_s").asDouble());
        assertRelative(row.get(6), t.get("shorter_than_fcfs").asDouble());
        assertShown(row.get(7), t.get("sfl_v1_round_s").asDouble());
        assertRelative(row.get(8), t.get("shorter_than_sfl_v1").asDouble());
        assertShown(row.get(9), t.get("bound_s").asDouble());
        assertShown(row.get(10), t.get("memsfl_no_recompute_round_s").asDouble());
        assertRelative(row.get(11), t.get("no_recompute_shorter_than_sfl_v1").asDouble());
        assertRelative(row.get(12), t.get("no_recompute_shorter_than_fcfs").asDouble());
        // no order beats the bound, the scheduler's included
        assertThat(t.get("memsfl_round_s").asDouble()).isGreaterThanOrEqualTo(t.get("bound_s").asDouble() * (1 - 1e-12));
    }

    /** "6.2% shorter" / "0.3% longer" against the signed fraction. */
    private static void assertRelative(String cell, double shorter) {
        String[] parts = cell.split("% ");
        assertThat(parts[1]).isEqualTo(shorter < 0 ? "longer" : "shorter");
        assertShown(parts[0], 100 * Math.abs(shorter));
    }

    private static void assertShown(String cell, double exact) {
        BigDecimal shown = new BigDecimal(cell.trim());
        double halfUnit = 0.5 * Math.pow(10, -shown.scale());
        assertThat(shown.doubleValue()).as(cell + " vs " + exact).isCloseTo(exact, within(halfUnit + 1e-12));
    }

    private static List<List<String>> rows(String html) {
        List<List<String>> rows = new ArrayList<>();
        Matcher tr = Pattern.compile("<tr>(.*?)</tr>", Pattern.DOTALL).matcher(html);
        while (tr.find()) {
            Matcher td = Pattern.compile("<td[^>]*>(.*?)</td>", Pattern.DOTALL).matcher(tr.group(1));
            List<String> cells = new ArrayList<>();
            while (td.find()) {
                cells.add(td.group(1));
            }
            if (!cells.isEmpty()) {
                rows.add(cells);
            }
        }
        return rows;
    }
}
