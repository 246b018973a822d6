package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.RunSettings;

/**
 * A checkpoint that cannot be written (the file-system fault is real: the generation's file name is taken by a
 * directory the server cannot replace, which fails as ENOSPC or EROFS would, even for root): the server reports
 * NOT_SERVING, retries with backoff and tells devices UNAVAILABLE, never an INTERNAL error with its paths; once the
 * storage is back it goes on. When it never comes back the server stops with {@link RunStopped}.
 */
class StorageFaultTest {

    @TempDir
    Path tmp;

    private ServerDeployment settings(Path out, Duration retry) {
        return ServerDeployment.builder(RunSettings.builder().model("stories260K").rounds(2).localSteps(1)
                .batchSize(2).seqLen(32).partition("iid").lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).build())
                .fleetSize(1).out(out).cut(2).storageRetry(retry).build();
    }

    /** Makes the checkpoint of round 1 impossible to write until the returned directory is removed. */
    private static Path blockRound1(Path out) throws Exception {
        Path block = out.resolve("checkpoint/round-1.safetensors");
        Files.createDirectories(block);
        Files.writeString(block.resolve("occupied"), "x");
        return block;
    }

    @Test
    void aFailedCheckpointIsRetriedWhileNotServingAndTheRunGoesOnWhenStorageIsBack() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 40);
        Path out = tmp.resolve("server");
        Path block = blockRound1(out);
        try (InProcessFleet fleet = new InProcessFleet(settings(out, Duration.ofMinutes(2)), List.of("a"), "disk")) {
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(fleet.channel());
            Future<DeviceClient.Report> a = fleet.device("a", data.toString(), 0, null);
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            ServingStatus st = ServingStatus.SERVING;
            while (st != ServingStatus.NOT_SERVING && System.nanoTime() < until) {
                Thread.sleep(20);
                st = health.withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.newBuilder()
                        .setService(EdgeServer.SERVICE).build()).getStatus();
            }
            assertThat(st).isEqualTo(ServingStatus.NOT_SERVING);
            Thread.sleep(1500); // at least one retry fails and the device is answered UNAVAILABLE meanwhile
            Files.delete(block.resolve("occupied"));
            Files.delete(block); // space freed
            DeviceClient.Report r = a.get(2, TimeUnit.MINUTES);
            fleet.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
            assertThat(r.roundsTrained()).containsExactly(1, 2);
            r.finalAdapters().close();
            assertThat(health.check(HealthCheckRequest.newBuilder().setService(EdgeServer.SERVICE).build())
                    .getStatus()).isEqualTo(ServingStatus.SERVING);
            assertThat(Files.readString(out.resolve("checkpoint/LATEST")).strip()).isEqualTo("2");
            assertThat(fleet.log).anyMatch(l -> l.startsWith("checkpoint of round 1 failed")
                    && l.contains("health NOT_SERVING"));
            assertThat(fleet.log).anyMatch(l -> l.contains("checkpoint of round 1 succeeded at attempt"));
            // what the device heard carries no server path, and no INTERNAL error
            assertThat(fleet.log).filteredOn(l -> l.startsWith("a: "))
                    .noneMatch(l -> l.contains(out.toString()) || l.contains("INTERNAL"));
        }
    }

    @Test
    void storageThatNeverComesBackStopsTheServer() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 40);
        Path out = tmp.resolve("server");
        blockRound1(out);
        try (InProcessFleet fleet = new InProcessFleet(settings(out, Duration.ofSeconds(2)), List.of("a"), "full")) {
            fleet.device("a", data.toString(), 0, null);
            assertThatThrownBy(() -> fleet.server.awaitFinished(Duration.ofMinutes(2), Duration.ZERO))
                    .isInstanceOf(RunStopped.class).hasMessageContaining("cannot save round 1")
                    .hasMessageContaining("'overwrite' (no round was kept, so there is nothing to resume)");
        }
    }
}
