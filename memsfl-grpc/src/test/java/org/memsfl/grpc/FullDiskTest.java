package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.grpc.proto.GetAdaptersRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.RunSettings;

/**
 * A full disk, for real, through a file-system seam: the server's {@code --out} lies on an in-memory file system
 * (Jimfs) of 64 MiB which the test fills after the server has started, all but 8 KiB, less than a checkpoint
 * generation. Round 1's checkpoint then fails for lack of space (Jimfs's "out of disk space" IOException, where a
 * disk gives ENOSPC), the server reports NOT_SERVING and retries with backoff, and a device asking for the next
 * round is answered UNAVAILABLE with no server path; the device keeps retrying. Once the filler is deleted the retried
 * write succeeds, health is SERVING again and the run completes both rounds.
 */
class FullDiskTest {

    @TempDir
    Path tmp;

    @Test
    void aFullDiskHoldsTheRunWhileNotServingAndItGoesOnOnceSpaceIsFreed() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 40);
        try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix().toBuilder().setBlockSize(4096)
                .setMaxSize(64L << 20).build())) {
            Path out = fs.getPath("/run/server");
            ServerDeployment s = ServerDeployment.builder(RunSettings.builder().model("stories260K").rounds(2)
                    .localSteps(1).batchSize(2).seqLen(32).partition("iid")
                    .lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).build()).fleetSize(1).out(out).cut(2)
                    .storageRetry(Duration.ofMinutes(2)).build();
            try (InProcessFleet fleet = new InProcessFleet(s, List.of("a"), "enospc")) {
                Path filler = fs.getPath("/run/filler");
                long free = Files.getFileStore(out).getUnallocatedSpace();
                Files.write(filler, new byte[(int) (free - 8192)]); // the disk is full but for 8 KiB
                HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(fleet.channel());
                Future<DeviceClient.Report> a = fleet.device("a", data.toString(), 0, null);
                long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                ServingStatus st = ServingStatus.SERVING;
                while (st != ServingStatus.NOT_SERVING && System.nanoTime() < until) {
                    Thread.sleep(20);
                    st = status(health);
                }
                assertThat(st).isEqualTo(ServingStatus.NOT_SERVING);
                // what a device asking for round 2 is answered meanwhile: UNAVAILABLE (retry), no server path
                SplitFederationGrpc.SplitFederationBlockingStub asA = SplitFederationGrpc.newBlockingStub(fleet.channel())
                        .withCallCredentials(new DeviceCredentials("a", fleet.tokens.get("a")));
                Status answer = HostileClients.status(() -> asA.withDeadlineAfter(30, TimeUnit.SECONDS)
                        .getAdapters(GetAdaptersRequest.newBuilder().setRound(2).build()).forEachRemaining(m -> { }));
                assertThat(answer.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(answer.getDescription()).contains("cannot save round 1 yet; retry").doesNotContain("/run");
                Thread.sleep(1500); // at least one retry fails for lack of space
                assertThat(status(health)).isEqualTo(ServingStatus.NOT_SERVING);
                assertThat(a.isDone()).as("the device waits, it does not give up").isFalse();
                List<String> failures = new ArrayList<>(fleet.log).stream()
                        .filter(l -> l.startsWith("checkpoint of round 1 failed")).toList();
                assertThat(failures).isNotEmpty();
                assertThat(failures.get(0)).containsIgnoringCase("space").contains("health NOT_SERVING");

                Files.delete(filler); // space freed
                DeviceClient.Report r = a.get(2, TimeUnit.MINUTES);
                fleet.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
                assertThat(r.roundsTrained()).containsExactly(1, 2);
                r.finalAdapters().close();
                assertThat(status(health)).isEqualTo(ServingStatus.SERVING);
                assertThat(Files.readString(out.resolve("checkpoint/LATEST")).strip()).isEqualTo("2");
                assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(2);
                assertThat(fleet.log).anyMatch(l -> l.contains("checkpoint of round 1 succeeded at attempt"));
                assertThat(fleet.log).filteredOn(l -> l.startsWith("a: ")).noneMatch(l -> l.contains("INTERNAL"));
                System.err.printf("[full disk] %d failed attempts while full; %s%n", failures.size(),
                        fleet.log.stream().filter(l -> l.contains("succeeded at attempt")).findFirst().orElse(""));
            }
        }
    }

    private static ServingStatus status(HealthGrpc.HealthBlockingStub health) {
        return health.withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.newBuilder()
                .setService(EdgeServer.SERVICE).build()).getStatus();
    }
}
