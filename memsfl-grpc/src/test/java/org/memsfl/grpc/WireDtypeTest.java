package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.model.ModelResolver;
import org.memsfl.split.WireFormat;
import org.memsfl.lora.LoraConfig;
import org.memsfl.util.Json;
import org.memsfl.settings.RunSettings;

/**
 * Activations and gradients in fp16 or bf16 take exactly half the bytes of fp32 (same batches, so same shapes), in
 * int8 (dim + 4) / (4 dim) of them (one byte per element and a float32 scale per token), and two rounds of
 * stories260K on Dolly end within 1% of the fp32 eval loss in each.
 */
class WireDtypeTest {

    @TempDir
    Path tmp;

    private JsonNode run(WireFormat wire) throws Exception {
        Path out = tmp.resolve(wire.name());
        ServerDeployment s = ServerDeployment.builder(RunSettings.builder().model("stories260K").rounds(2).localSteps(3)
                .batchSize(4).seqLen(64).seed(3).wire(wire).lora(new LoraConfig(4, 8, 0, List.of("q", "v")))
                .evalExamples(32).build()).fleetSize(2).out(out).cut(2).evalData("dolly").build();
        try (InProcessFleet fleet = new InProcessFleet(s, List.of("d0", "d1"), "wire-" + wire)) {
            Future<DeviceClient.Report> a = fleet.device("d0", "dolly", 0, null);
            Future<DeviceClient.Report> b = fleet.device("d1", "dolly", 1, null);
            a.get(3, TimeUnit.MINUTES).finalAdapters().close();
            b.get(3, TimeUnit.MINUTES).finalAdapters().close();
            fleet.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
        }
        return Json.MAPPER.readTree(out.resolve("summary.json").toFile()).get("methods").get("memsfl");
    }

    @Test
    void narrowWiresCutTheBytesAndKeepTheLoss() throws Exception {
        JsonNode f32 = run(WireFormat.FP32);
        long dim = ModelResolver.resolveConfig("stories260K").dim();
        for (WireFormat wire : List.of(WireFormat.BF16, WireFormat.FP16, WireFormat.INT8)) {
            JsonNode half = run(wire);
            double lossDiff = Math.abs(half.get("final_eval_loss").asDouble() / f32.get("final_eval_loss").asDouble() - 1);
            System.err.printf(Locale.ROOT, "[wire] %s: activations %d B (fp32 %d B), gradients %d B (fp32 %d B), all up %d B"
                    + " (fp32 %d B), eval loss %.6f (fp32 %.6f, %.4f%% apart)%n", wire,
                    half.get("activation_bytes").asLong(), f32.get("activation_bytes").asLong(),
                    half.get("gradient_bytes").asLong(), f32.get("gradient_bytes").asLong(),
                    half.get("bytes_up").asLong(), f32.get("bytes_up").asLong(),
                    half.get("final_eval_loss").asDouble(), f32.get("final_eval_loss").asDouble(), lossDiff * 100);
            // bytes of the (tokens, dim) payloads: fp32 4 dim per token; fp16/bf16 2 dim; int8 dim + 4
            long perTokenF32 = 4 * dim;
            long perToken = wire == WireFormat.INT8 ? dim + 4 : 2 * dim;
            assertThat(half.get("activation_bytes").asLong() * perTokenF32)
                    .isEqualTo(f32.get("activation_bytes").asLong() * perToken);
            assertThat(half.get("gradient_bytes").asLong() * perTokenF32)
                    .isEqualTo(f32.get("gradient_bytes").asLong() * perToken);
            assertThat(lossDiff).isLessThan(0.01);
        }
    }
}
