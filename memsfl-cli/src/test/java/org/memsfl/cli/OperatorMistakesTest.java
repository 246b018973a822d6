package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.grpc.EdgeServer;
import org.memsfl.grpc.Transport;

/**
 * One test per exit-code, token and TLS row of issue 10 at the command line: each operator mistake is one line on
 * stderr and exit 2, found before any model loads (stderr never reaches "loading"); a device that cannot complete
 * the TLS handshake says why and what to pass, at once. The TLS server here is only a health service (no model).
 */
class OperatorMistakesTest {

    @TempDir
    static Path dir;

    static KeytoolCerts.Files3 certs;
    static KeytoolCerts.Files3 otherCerts;
    static Server tls;

    @BeforeAll
    static void start() throws Exception {
        certs = KeytoolCerts.generate(dir.resolve("tls"), "operator test CA");
        otherCerts = KeytoolCerts.generate(dir.resolve("other"), "someone else's CA");
        HealthStatusManager h = new HealthStatusManager();
        h.setStatus(EdgeServer.SERVICE, HealthCheckResponse.ServingStatus.SERVING);
        tls = Grpc.newServerBuilderForPort(0, Transport.serverCredentials(false, certs.cert(), certs.key()))
                .addService(h.getHealthService()).build().start();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static void assertBadInput(Cli.Result r, String... mustMention) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        String err = r.err().strip();
        assertThat(err.lines().count()).as(err).isEqualTo(1);
        assertThat(err).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("loading");
        for (String m : mustMention) {
            assertThat(err).contains(m);
        }
    }

    private static Cli.Result server(Path out, String... more) {
        String[] base = {"server", "--port", "0", "--fleet-size", "1", "--rounds", "1", "--out", out.toString()};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return Cli.run(all);
    }

    private static Path secret(String name, String content, String mode) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @Test
    void addressInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            String port = Integer.toString(taken.getLocalPort());
            Cli.Result r = Cli.run("server", "--port", port, "--fleet-size", "1", "--insecure", "--out",
                    dir.resolve("port-out").toString());
            assertBadInput(r, "--port " + port, "Address already in use");
        }
    }

    @Test
    void outIsAFile() throws Exception {
        Path f = Files.writeString(dir.resolve("a-file"), "x");
        assertBadInput(server(f, "--insecure"), "--out " + f, "is a file");
    }

    @Test
    void outIsNotWritable() {
        Path ro = Path.of("/sys/memsfl-operator-test");
        // /sys refuses new entries even to root (the tests run as root here, which chmod cannot stop)
        boolean writable;
        try {
            Files.createDirectory(ro);
            Files.delete(ro);
            writable = true;
        } catch (java.io.IOException e) {
            writable = false;
        }
        assumeFalse(writable, "/sys is writable here");
        assertBadInput(server(ro, "--insecure"), "--out " + ro, "is not writable");
    }

    @Test
    void missingTokensAndTokenFiles() {
        Path none = dir.resolve("no-such-tokens.txt");
        assertBadInput(server(dir.resolve("t-out"), "--insecure", "--tokens", none.toString()), none.toString(),
                "no such file");
        assertBadInput(Cli.run("device", "--server", "localhost:1", "--device-id", "d0", "--partition", "0",
                "--insecure", "--token-file", none.toString()), "--token-file " + none, "no such file");
    }

    @Test
    void secretsReadableByOthersAreRefused() throws Exception {
        Path tokens = secret("open-tokens.txt", "d0 token-of-d0-0123456789\n", "rw-r--r--");
        assertBadInput(server(dir.resolve("o-out"), "--insecure", "--tokens", tokens.toString()), "chmod 600 " + tokens);
        Path token = secret("open-token", "token-of-d0-0123456789\n", "rw-rw-rw-");
        assertBadInput(Cli.run("device", "--server", "localhost:1", "--device-id", "d0", "--partition", "0",
                "--insecure", "--token-file", token.toString()), "chmod 600 " + token);
    }

    @Test
    void contradictingSettingsAreRefused() throws Exception {
        assertBadInput(server(dir.resolve("c-out"), "--insecure", "--cert", certs.cert().toString(), "--key",
                certs.key().toString()), "--insecure and --cert/--key contradict");
        assertBadInput(server(dir.resolve("c-out"), "--insecure", "--step-timeout-s", "600", "--round-timeout-s", "60"),
                "--step-timeout-s 600 must be below --round-timeout-s 60");
        Path token = secret("ok-token", "token-of-d0-0123456789\n", "rw-------");
        assertBadInput(Cli.run("device", "--server", "localhost:1", "--device-id", "d0", "--partition", "0",
                "--insecure", "--token", "abc", "--token-file", token.toString()), "--token and --token-file");
        assertBadInput(Cli.run("device", "--server", "localhost:1", "--device-id", "d0", "--partition", "0",
                "--insecure", "--ca", certs.ca().toString(), "--token-file", token.toString()), "--insecure and --ca");
    }

    /** Issue 10: a profile the delay model cannot represent, and guard settings that cannot hold. */
    @Test
    void aDeviceChecksItsDataBeforeReachingForTheServer() throws Exception {
        // no server listens on port 1: the old device waited --connect-timeout for it (printing "waiting" lines) and
        // only then failed on the server, so the typo in --data surfaced once a server was up
        Path token = secret("data-token", "token-of-d0-0123456789\n", "rw-------");
        Path missing = dir.resolve("no-such-data.jsonl");
        assertBadInput(Cli.run("device", "--server", "localhost:1", "--device-id", "d0", "--partition", "0",
                "--insecure", "--token-file", token.toString(), "--connect-timeout", "5", "--data", missing.toString()),
                missing.toString(), "does not exist");
    }

    @Test
    void unrepresentableProfilesAndImpossibleGuardsAreRefused() throws Exception {
        Path token = secret("profile-token", "token-of-d0-0123456789\n", "rw-------");
        assertBadInput(Cli.run("device", "--server", "localhost:1", "--device-id", "d0", "--partition", "0",
                "--insecure", "--token-file", token.toString(), "--compute", "4.9e-324"), "flopsPerSecond", "4.9E-324");
        assertBadInput(server(dir.resolve("q-out"), "--insecure", "--min-devices", "3"),
                "min devices 3 is above the fleet size 1");
        assertBadInput(server(dir.resolve("q-out"), "--insecure", "--max-update-norm", "huge"), "--max-update-norm");
        assertBadInput(server(dir.resolve("q-out"), "--insecure", "--max-loss-ratio", "0.5"), "max loss ratio");
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedBeforeLoading() {
        assertBadInput(server(dir.resolve("k-out"), "--cert", certs.cert().toString(), "--key",
                otherCerts.key().toString()), "does not belong to certificate");
    }

    /** A device that trusts the wrong CA, or speaks plaintext to a TLS server: exit 2 at once, cause and fix named. */
    @Test
    void aDeviceFailsFastOnATlsMismatch() throws Exception {
        Path token = secret("tls-token", "token-of-d0-0123456789\n", "rw-------");
        String target = "localhost:" + tls.getPort();
        assertBadInput(Cli.run("device", "--server", target, "--device-id", "d0", "--partition", "0",
                "--ca", otherCerts.ca().toString(), "--token-file", token.toString()), "TLS handshake with " + target,
                "--ca");
        assertBadInput(Cli.run("device", "--server", target, "--device-id", "d0", "--partition", "0",
                "--insecure", "--token-file", token.toString()), "TLS handshake", "drop --insecure");
    }

    /** --token works but warns that ps shows it. */
    @Test
    void tokenOnTheCommandLineWarns() {
        Cli.Result r = Cli.run("device", "--server", "localhost:" + tls.getPort(), "--device-id", "d0", "--partition",
                "0", "--insecure", "--token", "token-of-d0-0123456789");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("warning: --token is visible").contains("MEMSFL_TOKEN")
                .doesNotContain("token-of-d0-0123456789");
    }

    /** Fleet-token mode writes the token owner-only and never prints it (here the run then stops: no checkpoint). */
    @Test
    void theFleetTokenIsNeverPrinted() throws Exception {
        Path out = dir.resolve("fleet-out");
        Cli.Result r = server(out, "--insecure", "--resume");
        Path f = out.resolve("fleet-token");
        assertThat(f).exists();
        String token = Files.readString(f).strip();
        assertThat(token).hasSizeGreaterThan(20);
        assertThat(Files.getPosixFilePermissions(f)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(r.err() + r.out()).contains(f.toString()).doesNotContain(token);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
    }
}
