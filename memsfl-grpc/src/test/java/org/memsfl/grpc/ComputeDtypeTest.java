package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.DType;
import org.memsfl.lora.LoraConfig;
import org.memsfl.util.Json;
import org.memsfl.settings.RunSettings;

/**
 * Issue 8's precision rule in the deployment: {@code server --dtype bf16} loads the server's model in bf16, sends the
 * dtype in the assignment so that every device loads its segment in bf16, and the LoRA factors, optimizer state and
 * loss stay float32 on both sides. The round trains to the fp32 run's eval loss within bf16 noise (2% relative: two
 * local steps of a 260K-parameter model, bf16 keeping 8 bits of mantissa in every activation).
 */
class ComputeDtypeTest {

    @TempDir
    Path tmp;

    private JsonNode run(DType compute) throws Exception {
        Path out = tmp.resolve(compute.name());
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 48);
        ServerDeployment s = ServerDeployment.builder(RunSettings.builder().model("stories260K").rounds(1).localSteps(2)
                .batchSize(2).seqLen(32).seed(5).dtype(compute).partition("iid")
                .lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).evalExamples(8).build()).fleetSize(2).out(out)
                .cut(2).evalData(data.toString()).build();
        try (InProcessFleet fleet = new InProcessFleet(s, List.of("d0", "d1"), "dtype-" + compute)) {
            Future<DeviceClient.Report> a = fleet.device("d0", data.toString(), 0, null);
            Future<DeviceClient.Report> b = fleet.device("d1", data.toString(), 1, null);
            a.get(3, TimeUnit.MINUTES).finalAdapters().close();
            b.get(3, TimeUnit.MINUTES).finalAdapters().close();
            fleet.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
        }
        assertThat(Files.readString(out.resolve("manifest.json"))).contains("\"dtype\" : \"" + compute.optionName() + "\"");
        return Json.MAPPER.readTree(out.resolve("summary.json").toFile()).get("methods").get("memsfl");
    }

    @Test
    void bf16ServerAndDevicesTrainFloat32Adapters() throws Exception {
        double f32 = run(DType.F32).get("final_eval_loss").asDouble();
        double bf16 = run(DType.BF16).get("final_eval_loss").asDouble();
        System.err.printf(Locale.ROOT, "[dtype] eval loss after one round: fp32 %.6f, bf16 %.6f%n", f32, bf16);
        assertThat(Double.isFinite(bf16)).isTrue();
        assertThat(Math.abs(bf16 / f32 - 1)).isLessThan(0.02);
    }
}
