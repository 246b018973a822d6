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
import org.memsfl.engine.DType;
import org.memsfl.lora.LoraConfig;
import org.memsfl.util.Json;

/**
 * Activations and gradients in fp16 or bf16 take exactly half the bytes of fp32 (same batches, so same shapes), and
 * two rounds of stories260K on Dolly end within 1% of the fp32 eval loss.
 */
class WireDtypeTest {

    @TempDir
    Path tmp;

    private JsonNode run(DType wire) throws Exception {
        Path out = tmp.resolve(wire.name());
        ServerSettings s = ServerSettings.builder().setModel("stories260K").setFleetSize(2).setOut(out).optRounds(2)
                .optLocalSteps(3).optBatchSize(4).optSeqLen(64).optCut(2).optSeed(3).optWire(wire)
                .optLora(new LoraConfig(4, 8, 0, List.of("q", "v"))).optEvalData("dolly").optEvalExamples(32).build();
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
    void halfWidthWireHalvesTheBytesAndKeepsTheLoss() throws Exception {
        JsonNode f32 = run(DType.F32);
        for (DType wire : List.of(DType.BF16, DType.F16)) {
            JsonNode half = run(wire);
            double lossDiff = Math.abs(half.get("final_eval_loss").asDouble() / f32.get("final_eval_loss").asDouble() - 1);
            System.err.printf(Locale.ROOT, "[wire] %s: activations %d B (fp32 %d B), gradients %d B (fp32 %d B), all up %d B"
                    + " (fp32 %d B), eval loss %.6f (fp32 %.6f, %.4f%% apart)%n", wire,
                    half.get("activation_bytes").asLong(), f32.get("activation_bytes").asLong(),
                    half.get("gradient_bytes").asLong(), f32.get("gradient_bytes").asLong(),
                    half.get("bytes_up").asLong(), f32.get("bytes_up").asLong(),
                    half.get("final_eval_loss").asDouble(), f32.get("final_eval_loss").asDouble(), lossDiff * 100);
            assertThat(half.get("activation_bytes").asLong() * 2).isEqualTo(f32.get("activation_bytes").asLong());
            assertThat(half.get("gradient_bytes").asLong() * 2).isEqualTo(f32.get("gradient_bytes").asLong());
            assertThat(lossDiff).isLessThan(0.01);
        }
    }
}
