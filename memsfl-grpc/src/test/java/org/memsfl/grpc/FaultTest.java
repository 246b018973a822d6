package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.grpc.proto.AdaptersMessage;
import org.memsfl.grpc.proto.GetAdaptersRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.lora.LoraConfig;
import org.memsfl.util.Json;
import org.memsfl.settings.RunSettings;

/**
 * A device that vanishes mid-round is left out of that round's aggregation when the round deadline passes (the
 * weights renormalise over the devices present), the round completes, and the device rejoins at the next round.
 */
class FaultTest {

    @TempDir
    Path tmp;

    @Test
    void aVanishedDeviceIsLeftOutAndRejoinsNextRound() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 60);
        Path out = tmp.resolve("server");
        ServerDeployment s = ServerDeployment.builder(RunSettings.builder().model("stories260K").rounds(2).localSteps(2)
                .batchSize(2).seqLen(32).partition("iid").lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).build())
                .fleetSize(2).out(out).cut(2).roundTimeout(Duration.ofSeconds(6)).build();
        try (InProcessFleet fleet = new InProcessFleet(s, List.of("a", "b"), "fault")) {
            // b registers and takes round 1's adapters, then goes silent: a crash in the middle of its round
            SplitFederationGrpc.SplitFederationBlockingStub b = SplitFederationGrpc.newBlockingStub(fleet.channel())
                    .withCallCredentials(new DeviceCredentials("b", fleet.tokens.get("b")));
            b.withDeadlineAfter(30, TimeUnit.SECONDS).register(SecurityTest.request("b", 1));
            Future<DeviceClient.Report> a = fleet.device("a", data.toString(), 0, tmp.resolve("a"));
            Iterator<AdaptersMessage> it = b.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .getAdapters(GetAdaptersRequest.newBuilder().setRound(1).build());
            it.forEachRemaining(m -> { });
            // round 1 closes without b at its deadline; b's process comes back and rejoins in round 2
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (fleet.server.round() < 2 && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertThat(fleet.server.round()).isEqualTo(2);
            Future<DeviceClient.Report> b2 = fleet.device("b", data.toString(), 1, tmp.resolve("b"));
            DeviceClient.Report ra = a.get(2, TimeUnit.MINUTES);
            DeviceClient.Report rb = b2.get(2, TimeUnit.MINUTES);
            fleet.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
            assertThat(ra.roundsTrained()).containsExactly(1, 2);
            assertThat(rb.roundsTrained()).containsExactly(2);
            ra.finalAdapters().close();
            rb.finalAdapters().close();
            List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
            assertThat(lines).hasSize(2);
            JsonNode r1 = Json.MAPPER.readTree(lines.get(0));
            JsonNode r2 = Json.MAPPER.readTree(lines.get(1));
            assertThat(r1.get("participants").toString()).isEqualTo("[\"a\"]");
            assertThat(r1.get("dropped").toString()).isEqualTo("[\"b\"]");
            assertThat(List.of(r2.get("participants").get(0).asText(), r2.get("participants").get(1).asText()))
                    .containsExactlyInAnyOrder("a", "b");
            JsonNode summary = Json.MAPPER.readTree(out.resolve("summary.json").toFile());
            assertThat(summary.get("methods").get("memsfl").get("dropped_devices").toString()).isEqualTo("[\"b\"]");
            assertThat(fleet.log).anyMatch(l -> l.contains("left out: [b]"));
            assertThat(fleet.log).anyMatch(l -> l.contains("device b re-registered (rejoins at round 2)"));
        }
    }
}
