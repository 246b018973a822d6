package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.util.Json;
import org.memsfl.settings.RunSettings;

/**
 * Issue 10's restart, quorum and profile rows against the real edge server and device clients (in-process
 * transport, stories260K): a device killed inside a round and started again finishes that round with the fleet well
 * before the round deadline; after a server crash and {@code --resume} freshly started devices register again and
 * training continues; a round below {@code --min-devices} is not aggregated and the server stops with
 * {@link RunStopped}; a profile the delay model cannot represent is refused and leaves no trace in the fleet.
 */
class RestartAndQuorumTest {

    @TempDir
    Path tmp;

    private static RunSettings.Builder run() {
        return RunSettings.builder().model("stories260K").rounds(2).localSteps(3).batchSize(2).seqLen(32)
                .partition("iid").seed(3).lora(new LoraConfig(4, 8, 0, List.of("q", "v")));
    }

    private ServerDeployment.Builder settings(Path out) {
        return settings(out, run().build());
    }

    private ServerDeployment.Builder settings(Path out, RunSettings run) {
        return ServerDeployment.builder(run).fleetSize(2).out(out).cut(2);
    }

    /** A device whose process dies: its thread is interrupted and its channel cut; it gives up within 5 s. */
    private static Future<DeviceClient.Report> startDevice(InProcessFleet fleet, ExecutorService pool,
                                                            List<ManagedChannel> channels, String id, Path data,
                                                            int partition) {
        ManagedChannel ch = fleet.channel();
        channels.add(ch);
        DeviceSettings ds = new DeviceSettings(InProcessFleet.profile(id), data.toString(), partition, null,
                Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(5));
        return pool.submit(() -> new DeviceClient(ds, ch, fleet.tokens.get(id), fleet.logger).run());
    }

    @Test
    void aDeviceKilledInsideARoundRejoinsItWithoutWaitingForTheDeadline() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 60);
        Path out = tmp.resolve("server");
        ServerDeployment s = settings(out).roundTimeout(Duration.ofSeconds(300)).build();
        ExecutorService pool = Executors.newCachedThreadPool();
        List<ManagedChannel> channels = new ArrayList<>();
        try (InProcessFleet fleet = new InProcessFleet(s, List.of("a", "b"), "restart")) {
            Future<DeviceClient.Report> a = startDevice(fleet, pool, channels, "a", data, 0);
            Future<DeviceClient.Report> b = fleet.device("b", data.toString(), 1, null);
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (fleet.log.stream().noneMatch(l -> l.startsWith("a: round 1/2 step 1/3")) && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            a.cancel(true);   // kill -9 of a's process, one step into round 1
            channels.get(0).shutdownNow();
            Future<DeviceClient.Report> again = fleet.device("a", data.toString(), 0, null);
            DeviceClient.Report ra = again.get(3, TimeUnit.MINUTES);
            DeviceClient.Report rb = b.get(3, TimeUnit.MINUTES);
            fleet.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
            assertThat(ra.roundsTrained()).containsExactly(1, 2);
            assertThat(rb.roundsTrained()).containsExactly(1, 2);
            ra.finalAdapters().close();
            rb.finalAdapters().close();
            assertThat(fleet.log).anyMatch(l -> l.contains("device a restarted: it redoes round 1 from its start"));
            List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
            JsonNode r1 = Json.MAPPER.readTree(lines.get(0));
            // both took part; their order is the order of their uploads, which the restart makes either way
            List<String> participants = new ArrayList<>();
            r1.get("participants").forEach(n -> participants.add(n.asText()));
            assertThat(participants).containsExactlyInAnyOrder("a", "b");
            assertThat(r1.get("round_wall_s").asDouble()).as("well within the 300 s round deadline").isLessThan(120);
        } finally {
            pool.shutdownNow();
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }

    @Test
    void afterACrashAndResumeRestartedDevicesRegisterAgainAndTrainingContinues() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 60);
        Path out = tmp.resolve("server");
        ServerDeployment s = settings(out, run().rounds(3).build()).build();
        ExecutorService pool = Executors.newCachedThreadPool();
        List<ManagedChannel> channels = new ArrayList<>();
        InProcessFleet first = new InProcessFleet(s, List.of("a", "b"), "crash");
        try {
            startDevice(first, pool, channels, "a", data, 0);
            startDevice(first, pool, channels, "b", data, 1);
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (first.server.round() < 2 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertThat(first.server.round()).isEqualTo(2);
        } finally {
            first.close(); // the server and both device processes die
            pool.shutdownNow();
            channels.forEach(ManagedChannel::shutdownNow);
        }
        try (InProcessFleet second = new InProcessFleet(s.resuming(), List.of("a", "b"), "resumed")) {
            Future<DeviceClient.Report> a = second.device("a", data.toString(), 0, null);
            Future<DeviceClient.Report> b = second.device("b", data.toString(), 1, null);
            DeviceClient.Report ra = a.get(3, TimeUnit.MINUTES);
            DeviceClient.Report rb = b.get(3, TimeUnit.MINUTES);
            second.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
            assertThat(ra.roundsTrained()).containsExactly(2, 3);
            assertThat(rb.roundsTrained()).containsExactly(2, 3);
            ra.finalAdapters().close();
            rb.finalAdapters().close();
            assertThat(second.log).anyMatch(l -> l.contains("device a re-registered (restarts inside round 2)"));
            List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
            assertThat(lines).hasSize(3);
            for (String line : lines.subList(1, 3)) {
                assertThat(Json.MAPPER.readTree(line).get("participants").size()).isEqualTo(2);
            }
            try (AdapterSet g = second.server.globalAdapters()) {
                EndToEndTest.values(g).forEach((k, v) -> {
                    for (float x : v) {
                        assertThat(Float.isFinite(x)).as(k).isTrue();
                    }
                });
            }
        }
    }

    @Test
    void aRoundBelowTheQuorumStopsTheServerWithItsReason() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 60);
        Path out = tmp.resolve("server");
        ServerDeployment s = settings(out).minDevices(2).roundTimeout(Duration.ofSeconds(6)).build();
        try (InProcessFleet fleet = new InProcessFleet(s, List.of("a", "b"), "quorum")) {
            // b registers, then is never heard of again
            SplitFederationGrpc.newBlockingStub(fleet.channel())
                    .withCallCredentials(new DeviceCredentials("b", fleet.tokens.get("b")))
                    .withDeadlineAfter(30, TimeUnit.SECONDS).register(SecurityTest.request("b", 1));
            // a waits for the server up to a day (DeviceSettings.of): only the server's answer can end it early
            Future<DeviceClient.Report> a = fleet.device("a", data.toString(), 0, null);
            assertThatThrownBy(() -> fleet.server.awaitFinished(Duration.ofMinutes(2), Duration.ofSeconds(60)))
                    .isInstanceOf(RunStopped.class)
                    .hasMessageContaining("round 1 did not reach the quorum: 1 of 2 devices uploaded ([a])")
                    .hasMessageContaining("'minDevices' is 2");
            JsonNode r1 = Json.MAPPER.readTree(Files.readAllLines(out.resolve("metrics.jsonl")).get(0));
            assertThat(r1.get("discarded").asText()).startsWith("no quorum");
            assertThat(out.resolve("checkpoint/LATEST")).doesNotExist();
            JsonNode stopped = Json.MAPPER.readTree(out.resolve("summary.json").toFile()).get("stopped");
            assertThat(stopped.get("round").asInt()).isEqualTo(1);
            assertThat(stopped.get("kept_round").asInt()).isZero();
            assertThat(stopped.get("reason").asText()).contains("did not reach the quorum")
                    .contains("'overwrite' (no round was kept, so there is nothing to resume)");
            // the device was told before the server's grace ended: it stops with the reason, not at its join timeout
            assertThatThrownBy(() -> a.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(RunStopped.class)
                    .hasMessageContaining("the server stopped training: round 1 did not reach the quorum");
            assertThat(fleet.log).anyMatch(l -> l.startsWith("a: uploaded adapters of round 1"));
            assertThat(io.grpc.health.v1.HealthGrpc.newBlockingStub(fleet.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(io.grpc.health.v1.HealthCheckRequest.newBuilder().setService(EdgeServer.SERVICE).build())
                    .getStatus()).as("a stopped server is not serving").isEqualTo(
                            io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING);
        }
    }

    @Test
    void aProfileTheDelayModelCannotRepresentIsRefusedAndTheFleetStillOpens() throws Exception {
        Path out = tmp.resolve("server");
        try (InProcessFleet fleet = new InProcessFleet(settings(out).fleetSize(1).build(), List.of("a"), "profile")) {
            SplitFederationGrpc.SplitFederationBlockingStub a = SplitFederationGrpc.newBlockingStub(fleet.channel())
                    .withCallCredentials(new DeviceCredentials("a", fleet.tokens.get("a")))
                    .withDeadlineAfter(30, TimeUnit.SECONDS);
            RegisterRequest good = SecurityTest.request("a", 0);
            RegisterRequest tiny = good.toBuilder().setProfile(good.getProfile().toBuilder().setFlopsPerSecond(4.9e-324))
                    .build();
            assertThatThrownBy(() -> a.register(tiny)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("flopsPerSecond").contains("4.9E-324");
            });
            assertThat(fleet.server.round()).isZero();
            a.register(good);
            assertThat(fleet.server.round()).isEqualTo(1);
        }
    }
}
