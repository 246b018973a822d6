package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.Json;

/**
 * {@code simulate --device-weights int8}'s scale study (the table printed at the scale shape, {@code scale.json}, the
 * report) prices int8 devices: its cuts and memsfl's largest device peak are those {@code plan --device-weights int8}
 * gives at the same shape, settings and fleet. The bug this guards: a quantized run's scale study planned and priced
 * float32 devices (cuts 4/8/14/23/23 at gpt2-medium over paper-5, where int8 gives 17/23/23/23/23).
 *
 * <p>Oracle: the {@code plan} command, which calls the planner directly (exact integers).
 */
class ScaleStoragePricedTest {

    @Test
    void quantizedRunsScaleStudyUsesTheirStorage(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sim");
        Cli.Result r = Cli.run("simulate", "--method", "memsfl", "--device-weights", "int8", "--rounds", "1",
                "--local-steps", "1", "--eval-examples", "8", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("device layers stored as int8");

        Cli.Result p = Cli.run("plan", "--model", "random:gpt2-medium", "--fleet", "paper-5", "--device-weights", "int8",
                "--json");
        assertThat(p.exitCode()).as(p.err()).isZero();
        Map<String, Integer> planned = new LinkedHashMap<>();
        long deepest = 0;
        for (JsonNode d : Json.MAPPER.readTree(p.out()).get("devices")) {
            planned.put(d.get("device").asText(), d.get("cut").asInt());
            deepest = Math.max(deepest, d.get("memory").get("total").asLong());
        }
        assertThat(planned.values()).containsExactly(17, 23, 23, 23, 23);

        JsonNode scale = Json.MAPPER.readTree(out.resolve("scale.json").toFile());
        assertThat(scale.get("device_weights").asText()).isEqualTo("int8");
        Map<String, Integer> cuts = new LinkedHashMap<>();
        scale.get("cuts").fields().forEachRemaining(e -> cuts.put(e.getKey(), e.getValue().asInt()));
        assertThat(cuts).isEqualTo(planned);
        JsonNode memsfl = null;
        for (JsonNode row : scale.get("rows")) {
            if (row.get("method").asText().equals("memsfl")) {
                memsfl = row;
            }
        }
        assertThat(memsfl).isNotNull();
        assertThat(memsfl.get("max_device_peak_bytes").asLong()).isEqualTo(deepest);
        assertThat(Files.readString(out.resolve("report.html"))).contains("device layers stored as int8");
    }
}
