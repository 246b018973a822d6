package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.grpc.proto.DeviceProfile;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.RunSettings;

/** Tokens, TLS trust and registration rules: who is refused, with which status. */
class SecurityTest {

    @TempDir
    static Path tmp;

    static EdgeServer server;
    static String name;
    static ManagedChannel channel;

    static final Map<String, String> TOKENS = Map.of("d0", "token-of-d0-0123456789", "d1", "token-of-d1-0123456789",
            "d2", "token-of-d2-0123456789");

    @BeforeAll
    static void start() {
        name = InProcessServerBuilder.generateName();
        ServerDeployment s = ServerDeployment.builder(RunSettings.builder().model("stories260K")
                .lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).batchSize(2).seqLen(16).build()).fleetSize(3)
                .out(tmp.resolve("out")).cut(2).build();
        server = EdgeServer.startInProcess(s, DeviceTokens.of(TOKENS), name, line -> System.err.println("[sec] " + line));
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        server.close();
    }

    static RegisterRequest request(String id, int partition) {
        return RegisterRequest.newBuilder().setDeviceId(id).setPartitionIndex(partition).setProtocolVersion(1)
                .setProfile(DeviceProfile.newBuilder().setMemoryBudgetBytes(2L << 30).setFlopsPerSecond(1e12)
                        .setUplinkBytesPerSecond(1e6).setDownlinkBytesPerSecond(1e7).setLatencySeconds(0.01))
                .build();
    }

    static SplitFederationGrpc.SplitFederationBlockingStub stub(String id, String token) {
        return SplitFederationGrpc.newBlockingStub(channel).withCallCredentials(new DeviceCredentials(id, token))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    static void refused(Runnable call, Status.Code code, String fragment) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(fragment);
        });
    }

    @Test
    void missingOrWrongTokensAreUnauthenticated() {
        SplitFederationGrpc.SplitFederationBlockingStub bare = SplitFederationGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        refused(() -> bare.register(request("d0", 0)), Status.Code.UNAUTHENTICATED, "memsfl-device-id");
        refused(() -> stub("d0", null).register(request("d0", 0)), Status.Code.UNAUTHENTICATED, "authorization");
        refused(() -> stub("d0", "token-of-d1-0123456789").register(request("d0", 0)), Status.Code.UNAUTHENTICATED,
                "wrong token");
        refused(() -> stub("intruder", "token-of-d0-0123456789").register(request("intruder", 0)),
                Status.Code.UNAUTHENTICATED, "unknown device id");
    }

    @Test
    void healthNeedsNoToken() {
        HealthCheckResponse r = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(EdgeServer.SERVICE).build());
        assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void registrationRules() {
        Assignment a = stub("d1", TOKENS.get("d1")).register(request("d1", 1));
        assertThat(a.getCutLayer()).isEqualTo(2);
        assertThat(a.getNumLayers()).isEqualTo(5);
        assertThat(a.getNumPartitions()).isEqualTo(3);
        assertThat(a.getWeightSha256Map()).isNotEmpty();
        // the same device restarting before round 1 gets its assignment again; another partition under its id is refused
        assertThat(stub("d1", TOKENS.get("d1")).register(request("d1", 1))).isEqualTo(a);
        refused(() -> stub("d1", TOKENS.get("d1")).register(request("d1", 2)), Status.Code.ALREADY_EXISTS,
                "already registered with partition 1");
        refused(() -> stub("d2", TOKENS.get("d2")).register(request("d0", 0)), Status.Code.PERMISSION_DENIED,
                "differs from the authenticated");
        refused(() -> stub("d2", TOKENS.get("d2")).register(request("d2", 1)), Status.Code.ALREADY_EXISTS,
                "partition 1 is already trained by device d1");
        refused(() -> stub("d2", TOKENS.get("d2")).register(request("d2", 7)), Status.Code.INVALID_ARGUMENT,
                "out of range");
        RegisterRequest noMemory = request("d2", 2).toBuilder()
                .setProfile(request("d2", 2).getProfile().toBuilder().setMemoryBudgetBytes(0)).build();
        refused(() -> stub("d2", TOKENS.get("d2")).register(noMemory), Status.Code.INVALID_ARGUMENT, "memoryBudgetBytes");
        // training has not started: a round-1 step is refused, not queued
        refused(() -> stub("d1", TOKENS.get("d1")).withDeadlineAfter(2, TimeUnit.SECONDS)
                .getAdapters(org.memsfl.grpc.proto.GetAdaptersRequest.newBuilder().setRound(9).build()).next(),
                Status.Code.INVALID_ARGUMENT, "out of range");
    }

    @Test
    void untrustedCertificatesAndPlaintextAreRefused() throws Exception {
        TestCerts.Files3 real = TestCerts.generate(tmp.resolve("real"), "real CA");
        TestCerts.Files3 other = TestCerts.generate(tmp.resolve("other"), "other CA");
        ServerDeployment s = ServerDeployment.builder(RunSettings.builder().model("stories260K")
                .lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).build()).fleetSize(1).out(tmp.resolve("tls-out"))
                .cut(2).build();
        try (EdgeServer tls = EdgeServer.start(s, DeviceTokens.of(Map.of("d0", TOKENS.get("d0"))),
                Transport.serverCredentials(false, real.cert(), real.key()), 0, line -> { })) {
            String target = "localhost:" + tls.port();
            for (ManagedChannel ch : List.of(Transport.channel(target, Transport.channelCredentials(false, other.ca())),
                    Transport.channel(target, Transport.channelCredentials(true, null)))) {
                try {
                    assertThatThrownBy(() -> SplitFederationGrpc.newBlockingStub(ch)
                            .withCallCredentials(new DeviceCredentials("d0", TOKENS.get("d0")))
                            .withDeadlineAfter(10, TimeUnit.SECONDS).register(request("d0", 0)))
                            .isInstanceOfSatisfying(StatusRuntimeException.class,
                                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
                } finally {
                    ch.shutdownNow();
                }
            }
            ManagedChannel good = Transport.channel(target, Transport.channelCredentials(false, real.ca()));
            try {
                Assignment a = SplitFederationGrpc.newBlockingStub(good)
                        .withCallCredentials(new DeviceCredentials("d0", TOKENS.get("d0")))
                        .withDeadlineAfter(30, TimeUnit.SECONDS).register(request("d0", 0));
                assertThat(a.getDeviceId()).isEqualTo("d0");
            } finally {
                good.shutdownNow();
            }
        }
    }
}
