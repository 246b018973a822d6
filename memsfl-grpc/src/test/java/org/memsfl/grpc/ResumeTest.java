package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.util.Json;
import org.memsfl.settings.RunSettings;

/**
 * The server is stopped right after a round (devices may be mid-way into the next) and started again with
 * {@code --resume} from its checkpoint; devices redo the round the crash took from them, and the final adapters equal
 * an uninterrupted run's bit for bit. LoRA dropout is on (0.1), so this also holds the random state to account: every
 * draw after initialisation comes from per-device generators seeded by (seed, device, round), which the checkpoint's
 * seed and round fix.
 */
class ResumeTest {

    @TempDir
    Path tmp;

    private ServerDeployment settings(Path out) {
        return ServerDeployment.builder(RunSettings.builder().model("stories260K").rounds(3).localSteps(3)
                .batchSize(2).seqLen(32).partition("iid").seed(11)
                .lora(new LoraConfig(4, 8, 0.1, List.of("q", "v", "o"))).build()).fleetSize(2).out(out).cut(2).build();
    }

    private static final Map<String, String> TOKENS = Map.of("a", "token-of-a-0123456789", "b", "token-of-b-0123456789");

    @Test
    void aResumedServerEndsWhereAnUninterruptedOneDoes() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 80);
        Map<String, float[]> uninterrupted;
        try (InProcessFleet fleet = new InProcessFleet(settings(tmp.resolve("straight")), List.of("a", "b"), "straight")) {
            Future<DeviceClient.Report> a = fleet.device("a", data.toString(), 0, null);
            Future<DeviceClient.Report> b = fleet.device("b", data.toString(), 1, null);
            a.get(3, TimeUnit.MINUTES).finalAdapters().close();
            b.get(3, TimeUnit.MINUTES).finalAdapters().close();
            fleet.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
            try (AdapterSet g = fleet.server.globalAdapters()) {
                uninterrupted = EndToEndTest.values(g);
            }
        }

        String name = InProcessServerBuilder.generateName();
        Path out = tmp.resolve("crashed");
        List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.function.Consumer<String> logger = l -> {
            log.add(l);
            System.err.println("[resume] " + l);
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<ManagedChannel> channels = new ArrayList<>();
        EdgeServer first = EdgeServer.startInProcess(settings(out), DeviceTokens.of(TOKENS), name, logger);
        List<Future<DeviceClient.Report>> devices = new ArrayList<>();
        try {
            for (String id : List.of("a", "b")) {
                // the devices run on while the first server is closed under them: see InProcessShutdownRace
                ManagedChannel ch = InProcessChannelBuilder.forName(name).intercept(new InProcessShutdownRace())
                        .build();
                channels.add(ch);
                DeviceSettings ds = new DeviceSettings(InProcessFleet.profile(id), data.toString(), id.equals("a") ? 0 : 1,
                        null, Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMinutes(2));
                devices.add(pool.submit(() -> new DeviceClient(ds, ch, TOKENS.get(id), logger).run()));
            }
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (first.round() < 2 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertThat(first.round()).isEqualTo(2);
            first.close(); // the crash: whatever happened after round 1's checkpoint is lost
            assertThat(Files.readString(out.resolve("checkpoint/LATEST")).strip()).isEqualTo("1");
            try (EdgeServer second = EdgeServer.startInProcess(settings(out).resuming(), DeviceTokens.of(TOKENS), name,
                    logger)) {
                List<DeviceClient.Report> reports = new ArrayList<>();
                for (Future<DeviceClient.Report> f : devices) {
                    reports.add(f.get(3, TimeUnit.MINUTES));
                }
                second.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
                Map<String, float[]> resumed;
                try (AdapterSet g = second.globalAdapters()) {
                    resumed = EndToEndTest.values(g);
                }
                assertThat(resumed.keySet()).containsExactlyElementsOf(uninterrupted.keySet());
                uninterrupted.forEach((k, v) -> assertThat(resumed.get(k)).as(k).containsExactly(v));
                for (DeviceClient.Report r : reports) {
                    assertThat(r.roundsTrained()).containsExactly(1, 2, 3);
                    assertThat(r.missedRounds()).isEmpty();
                    r.finalAdapters().close();
                }
            }
        } finally {
            first.close();
            pool.shutdownNow();
            channels.forEach(ManagedChannel::shutdownNow);
        }
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertThat(lines).hasSize(3);
        for (int r = 0; r < 3; r++) {
            JsonNode n = Json.MAPPER.readTree(lines.get(r));
            assertThat(n.get("round").asInt()).isEqualTo(r + 1);
        }
        assertThat(log).anyMatch(l -> l.contains("resumed after round 1"));
    }
}
