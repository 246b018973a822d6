package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.protobuf.services.HealthStatusManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.util.BadInputException;

/**
 * One test per TLS and token row of issue 10: a key that is not the certificate's, a certificate out of its validity
 * period, a non-PKCS#8 key, TLS failures classified at once (so a device fails fast instead of waiting out its
 * deadline), tokens files readable by others, and failed authentications logged at a bounded rate. The servers here
 * carry only the health service and the token interceptor (no model), on loopback.
 */
class TlsAndTokensTest {

    @TempDir
    static Path tmp;

    static TestCerts.Files3 real;
    static TestCerts.Files3 other;

    @BeforeAll
    static void certs() throws Exception {
        real = TestCerts.generate(tmp.resolve("real"), "real CA");
        other = TestCerts.generate(tmp.resolve("other"), "other CA");
    }

    @AfterAll
    static void done() {
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedAtStartup() {
        assertThatThrownBy(() -> Transport.serverCredentials(false, real.cert(), other.key()))
                .isInstanceOf(BadInputException.class).hasMessageContaining(other.key().toString())
                .hasMessageContaining("does not belong to certificate");
        assertThat(Transport.serverCredentials(false, real.cert(), real.key())).isNotNull();
    }

    @Test
    void aCertificateOutsideItsValidityIsRefusedAtStartup() throws Exception {
        Instant now = Instant.now();
        TestCerts.Files3 old = TestCerts.generate(tmp.resolve("old"), "old CA", now.minus(Duration.ofDays(10)),
                now.minus(Duration.ofDays(1)));
        assertThatThrownBy(() -> Transport.serverCredentials(false, old.cert(), old.key()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("expired on");
        TestCerts.Files3 future = TestCerts.generate(tmp.resolve("future"), "future CA", now.plus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(10)));
        assertThatThrownBy(() -> Transport.serverCredentials(false, future.cert(), future.key()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("not valid before");
    }

    @Test
    void aKeyThatIsNotPkcs8IsRefusedWithTheConversion() throws Exception {
        Path pkcs1 = tmp.resolve("rsa.key");
        Files.writeString(pkcs1, Files.readString(real.key()).replace("PRIVATE KEY", "RSA PRIVATE KEY"));
        assertThatThrownBy(() -> Transport.serverCredentials(false, real.cert(), pkcs1))
                .isInstanceOf(BadInputException.class).hasMessageContaining("PKCS#8").hasMessageContaining("openssl pkcs8");
    }

    /**
     * Untrusted CA and plaintext-against-TLS are both classified as TLS failures: no waiting, no "waiting for" line, a
     * named cause. The plaintext case is repeated because its symptom is racy (a close, or now and then a reset).
     */
    @Test
    void tlsMismatchesAreClassifiedAtOnce() throws Exception {
        Server tls = Grpc.newServerBuilderForPort(0, Transport.serverCredentials(false, real.cert(), real.key()))
                .addService(health()).build().start();
        try {
            String target = "localhost:" + tls.getPort();
            List<String> log = new CopyOnWriteArrayList<>();
            ServerWait.Sleeper sleeper = d -> Thread.sleep(d.toMillis());
            // a timeout far beyond the test's patience: only the classification can end these calls early
            ManagedChannel wrongCa = Transport.channel(target, Transport.channelCredentials(false, other.ca()));
            try {
                assertThatThrownBy(() -> ServerWait.await(wrongCa, target, Duration.ofMinutes(10), log::add, sleeper,
                        Setting.FIELDS)).isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(Transport.tlsFailure(e)).containsIgnoringCase("certification path"));
            } finally {
                wrongCa.shutdownNow();
            }
            for (int i = 0; i < 40; i++) {
                ManagedChannel plain = Transport.channel(target, Transport.channelCredentials(true, null));
                try {
                    assertThatThrownBy(() -> ServerWait.await(plain, target, Duration.ofMinutes(10), log::add, sleeper,
                            Setting.FIELDS)).isInstanceOfSatisfying(StatusRuntimeException.class,
                                    e -> assertThat(Transport.tlsFailure(e)).isNotNull());
                } finally {
                    plain.shutdownNow();
                }
            }
            assertThat(log).isEmpty();
            ManagedChannel good = Transport.channel(target, Transport.channelCredentials(false, real.ca()));
            try {
                assertThat(ServerWait.await(good, target, Duration.ofSeconds(30), log::add, sleeper, Setting.FIELDS))
                        .isEqualTo(1);
            } finally {
                good.shutdownNow();
            }
        } finally {
            tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * A server that accepts and then resets every connection, as a TLS server reached in plaintext sometimes does:
     * the client sees a reset while connecting, a reset while reading, or a closed negotiation, and each ends the
     * wait at once as a TLS failure, without a "waiting for" line. Repeated, since which form arrives is a race.
     */
    @Test
    void aDroppedConnectionIsATlsFailureAtOnce() throws Exception {
        try (java.net.ServerSocket resetter = new java.net.ServerSocket(0)) {
            Thread t = new Thread(() -> {
                while (!resetter.isClosed()) {
                    try (java.net.Socket s = resetter.accept()) {
                        s.setSoLinger(true, 0); // close with RST
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            String target = "localhost:" + resetter.getLocalPort();
            List<String> log = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 40; i++) {
                ManagedChannel plain = Transport.channel(target, Transport.channelCredentials(true, null));
                try {
                    assertThatThrownBy(() -> ServerWait.await(plain, target, Duration.ofMinutes(10), log::add,
                            d -> Thread.sleep(d.toMillis()), Setting.FIELDS))
                            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(Transport.tlsFailure(e))
                                    .endsWith("the connection during the handshake (a TLS server reached in plaintext?)"));
                } finally {
                    plain.shutdownNow();
                }
            }
            assertThat(log).isEmpty();
        }
    }


    @Test
    void aTokensFileReadableByOthersIsRefused() throws Exception {
        Path f = tmp.resolve("tokens.txt");
        Files.writeString(f, "d0 token-of-d0-0123456789\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> DeviceTokens.read(f)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("readable by other users").hasMessageContaining("chmod 600 " + f);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> DeviceTokens.read(f)).hasMessageContaining("rw-r-----");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(DeviceTokens.read(f).accepts("d0", "token-of-d0-0123456789")).isTrue();
        assertThatThrownBy(() -> DeviceTokens.read(tmp.resolve("absent.txt"))).isInstanceOf(BadInputException.class)
                .hasMessageContaining("no such file");
    }

    /** 40 refused calls within a second give one log line: peer, claimed id, reason; never the token presented. */
    @Test
    void failedAuthenticationsAreLoggedRateLimited() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        TokenInterceptor auth = new TokenInterceptor(DeviceTokens.of(Map.of("d0", "token-of-d0-0123456789")), lines::add);
        Server server = Grpc.newServerBuilderForPort(0, io.grpc.InsecureServerCredentials.create())
                .addService(ServerInterceptors.intercept(new SplitFederationGrpc.SplitFederationImplBase() {
                }, auth)).build().start();
        ManagedChannel ch = Transport.channel("127.0.0.1:" + server.getPort(), Transport.channelCredentials(true, null));
        try {
            for (int i = 0; i < 40; i++) {
                assertThatThrownBy(() -> SplitFederationGrpc.newBlockingStub(ch)
                        .withCallCredentials(new DeviceCredentials("mallory-" + "x".repeat(80), "guessed-token-" + 7))
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .register(SecurityTest.request("mallory", 0))).isInstanceOf(StatusRuntimeException.class);
            }
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("127.0.0.1").contains("'mallory-xxxxx").contains("x...'").contains("wrong token")
                    .contains("Register").doesNotContain("guessed-token");
        } finally {
            ch.shutdownNow();
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static io.grpc.BindableService health() {
        HealthStatusManager h = new HealthStatusManager();
        h.setStatus(EdgeServer.SERVICE, HealthCheckResponse.ServingStatus.SERVING);
        return h.getHealthService();
    }
}
