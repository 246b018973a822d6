package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.grpc.DeviceCredentials;
import org.memsfl.grpc.proto.DeviceProfile;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.util.Json;

/**
 * Issue 10's process faults through the real commands, each {@code memsfl server} and {@code memsfl device} its own OS
 * process ({@link ChildJvms}), stories260K on a small prompt/response file over loopback plaintext with the fleet
 * token: a round below {@code --min-devices} ends the server with exit 4, and the device still in the fleet is told
 * and exits 4 at once with one line; a device killed with SIGKILL inside a round and started again finishes that
 * round with the fleet within one step timeout, far from the round deadline; and after the server and every device
 * are SIGKILLed and started again ({@code --resume}) the run ends with the uninterrupted run's adapters, bit for bit.
 */
class ProcessFaultsTest {

    static final Duration TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path tmp;

    ChildJvms jvms;
    Path data;

    @BeforeEach
    void setUp() throws Exception {
        jvms = new ChildJvms(tmp);
        data = tinyData(tmp.resolve("tiny.jsonl"), 60);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        jvms.close();
    }

    /** A small prompt/response .jsonl, fast to tokenise (the loader holds some out for evaluation). */
    static Path tinyData(Path f, int n) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        String[] animals = {"cat", "dog", "bird", "fish", "frog", "bear"};
        for (int i = 0; i < n; i++) {
            String a = animals[i % animals.length];
            sb.append("{\"prompt\": \"Tell me about the ").append(a).append(" number ").append(i)
                    .append(".\", \"response\": \"Once upon a time a little ").append(a)
                    .append(" went to the park and played all day.\"}\n");
        }
        Files.writeString(f, sb.toString());
        return f;
    }

    /** {@code memsfl server} on a free port, plaintext, fleet token in {@code out/fleet-token}; extra options last. */
    Process server(String name, Path out, int rounds, int localSteps, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("server", "--port", "0", "--model", "stories260K",
                "--fleet-size", "2", "--rounds", Integer.toString(rounds), "--local-steps", Integer.toString(localSteps),
                "--batch-size", "2", "--seq-len", "32", "--lora-rank", "4", "--lora-targets", "q,v",
                "--partition", "iid", "--seed", "3", "--insecure", "--out", out.toString(), "--finish-grace-s", "30"));
        args.addAll(List.of(extra));
        return jvms.memsfl(name, args.toArray(String[]::new));
    }

    Process device(String name, String id, int partition, int port, Path out) throws Exception {
        return device(name, id, partition, port, tmp.resolve("server"), out);
    }

    /** {@code memsfl device} against the server writing {@code serverOut} (whose fleet token it reads). */
    Process device(String name, String id, int partition, int port, Path serverOut, Path out) throws Exception {
        List<String> args = new ArrayList<>(List.of("device", "--server", "localhost:" + port, "--device-id", id,
                "--token-file", serverOut.resolve("fleet-token").toString(), "--data", data.toString(),
                "--partition", Integer.toString(partition), "--insecure", "--join-timeout-s", "600", "--json"));
        if (out != null) {
            args.addAll(List.of("--out", out.toString()));
        }
        return jvms.memsfl(name, args.toArray(String[]::new));
    }

    @Test
    void belowTheQuorumTheServerExitsFourAndTheDeviceIsToldAndExitsFourAtOnce() throws Throwable {
        try {
            Path out = tmp.resolve("server");
            Process server = server("server", out, 2, 2, "--min-devices", "2", "--round-timeout-s", "8",
                    "--step-timeout-s", "4");
            int port = jvms.awaitPort("server", server, TIMEOUT);
            // b registers (a hostile or broken device, in this JVM), then is never heard of again
            ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
            try {
                String token = Files.readString(out.resolve("fleet-token")).strip();
                SplitFederationGrpc.newBlockingStub(ch).withCallCredentials(new DeviceCredentials("b", token))
                        .withDeadlineAfter(60, TimeUnit.SECONDS).register(RegisterRequest.newBuilder().setDeviceId("b")
                                .setPartitionIndex(1).setProtocolVersion(1)
                                .setProfile(DeviceProfile.newBuilder().setMemoryBudgetBytes(2L << 30)
                                        .setFlopsPerSecond(1e12).setUplinkBytesPerSecond(1e6)
                                        .setDownlinkBytesPerSecond(1e7).setLatencySeconds(0.01)).build());
            } finally {
                ch.shutdownNow();
            }
            Process a = device("device-a", "a", 0, port, null);
            assertThat(ChildJvms.exitCode("server", server, TIMEOUT)).as(jvms.err("server")).isEqualTo(Main.EXIT_STOPPED);
            long serverDone = System.nanoTime();
            // the device's join timeout is 600 s: only the server's answer ends it this early
            assertThat(ChildJvms.exitCode("device a", a, Duration.ofSeconds(60))).as(jvms.err("device-a"))
                    .isEqualTo(Main.EXIT_STOPPED);
            double deviceLag = (System.nanoTime() - serverDone) / 1e9;
            String serverErr = jvms.err("server");
            assertThat(serverErr).contains("memsfl server: training stopped: round 1 did not reach the quorum: 1 of 2"
                    + " devices uploaded ([a]), --min-devices is 2").doesNotContain("\tat ");
            List<String> told = jvms.err("device-a").lines().filter(l -> l.contains("stopped training")).toList();
            assertThat(told).containsExactly("memsfl device: the server stopped training: round 1 did not"
                    + " reach the quorum: 1 of 2 devices uploaded ([a]), --min-devices is 2; its updates were discarded"
                    + " and the adapters stay those of round 0. Start the missing devices and run the server again with"
                    + " --overwrite (no round was kept, so there is nothing to resume)");
            assertThat(jvms.err("device-a")).doesNotContain("\tat ");
            JsonNode stopped = Json.MAPPER.readTree(out.resolve("summary.json").toFile()).get("stopped");
            assertThat(stopped.get("round").asInt()).isEqualTo(1);
            assertThat(stopped.get("reason").asText()).startsWith("round 1 did not reach the quorum");
            System.err.printf("[process faults] quorum: server exit 4, device exit 4 %.1f s after the server%n", deviceLag);
        } catch (Throwable t) {
            jvms.dumpLogs();
            throw t;
        }
    }

    /**
     * One faulted run against one uninterrupted run with the same settings, each a server and two device processes.
     * In round 1 device a is SIGKILLed after its second local step and started again: round 1 ends with both devices
     * within one step timeout. In round 2 the server and both devices are SIGKILLed and started again, the server with
     * {@code --resume}. The final adapters must equal the uninterrupted run's bit for bit: the server resumes from
     * its round-1 checkpoint (exact float32 tensors, server-side optimizer state included), and each device restores
     * its batch position and AdamW moments of the round's start from its {@code --out} ({@code device-state/}), so
     * every step of the redone rounds repeats the uninterrupted run's arithmetic; with two devices the FedAvg sum has
     * two terms, whose order (the order of registration, which differs between runs) cannot change a bit.
     */
    @Test
    void sigkilledDevicesAndServerRestartedWithResumeEqualAnUninterruptedRun() throws Throwable {
        try {
            int stepTimeoutS = 60;
            String[] timeouts = {"--round-timeout-s", "600", "--step-timeout-s", Integer.toString(stepTimeoutS)};
            long t0 = System.nanoTime();

            Path ref = tmp.resolve("ref");
            Process refServer = server("ref-server", ref, 2, 20, timeouts);
            int refPort = jvms.awaitPort("ref-server", refServer, TIMEOUT);
            Process refA = device("ref-a", "a", 0, refPort, ref, tmp.resolve("ref-a"));
            Process refB = device("ref-b", "b", 1, refPort, ref, tmp.resolve("ref-b"));
            for (Process p : List.of(refA, refB, refServer)) {
                assertThat(ChildJvms.exitCode("reference run", p, TIMEOUT)).isZero();
            }
            long tRef = System.nanoTime();

            Path out = tmp.resolve("server");
            Process server = server("server", out, 2, 20, timeouts);
            int port = jvms.awaitPort("server", server, TIMEOUT);
            Process a = device("device-a", "a", 0, port, tmp.resolve("dev-a"));
            Process b = device("device-b", "b", 1, port, tmp.resolve("dev-b"));
            jvms.awaitErr("device-a", a, "round 1/2 step 2/20", TIMEOUT);
            a.destroyForcibly(); // SIGKILL: no shutdown hook, no goodbye to the server
            assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Process a2 = device("device-a2", "a", 0, port, tmp.resolve("dev-a"));
            jvms.awaitErr("device-a2", a2, "round 2/2 step 2/20", TIMEOUT);
            jvms.awaitErr("device-b", b, "round 2/2 step 1/20", TIMEOUT);
            assertThat(jvms.err("server")).contains("device a restarted: it redoes round 1 from its start");
            JsonNode r1 = Json.MAPPER.readTree(Files.readAllLines(out.resolve("metrics.jsonl")).get(0));
            List<String> participants = new ArrayList<>();
            r1.get("participants").forEach(n -> participants.add(n.asText()));
            assertThat(participants).containsExactlyInAnyOrder("a", "b");
            double round1 = r1.get("round_wall_s").asDouble();
            assertThat(round1).as("round 1 with a restarted device, against one step timeout").isLessThan(stepTimeoutS);

            for (Process p : List.of(server, a2, b)) {
                p.destroyForcibly();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            Process resumed = server("server-resumed", out, 2, 20, concat(timeouts, "--resume"));
            int port2 = jvms.awaitPort("server-resumed", resumed, TIMEOUT);
            Process a3 = device("device-a3", "a", 0, port2, tmp.resolve("dev-a"));
            Process b2 = device("device-b2", "b", 1, port2, tmp.resolve("dev-b"));
            for (Process p : List.of(a3, b2, resumed)) {
                assertThat(ChildJvms.exitCode("resumed run", p, TIMEOUT)).isZero();
            }
            Map<String, float[]> expected;
            try (AdapterSet r = AdapterIO.load(ref.resolve("adapter"))) {
                expected = MultiProcessDeploymentTest.values(r);
            }
            int tensors = 0;
            try (AdapterSet got = AdapterIO.load(out.resolve("adapter"))) {
                Map<String, float[]> actual = MultiProcessDeploymentTest.values(got);
                assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
                for (Map.Entry<String, float[]> e : expected.entrySet()) {
                    assertThat(actual.get(e.getKey())).as(e.getKey() + " bit for bit").containsExactly(e.getValue());
                    tensors++;
                }
            }
            assertThat(jvms.err("server-resumed")).contains("resumed after round 1");
            assertThat(jvms.err("device-a3")).contains("redoing round 2 from its start");
            assertThat(Json.MAPPER.readTree(jvms.out("device-a3")).get("rounds_trained").toString()).isEqualTo("[2]");
            assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(2);

            System.err.printf(java.util.Locale.ROOT, "[process faults] kill -9 of device a in round 1: round 1 took"
                    + " %.1f s (step timeout %d s, round deadline 600 s); kill -9 of all in round 2 and --resume:"
                    + " %d adapter tensors bit-identical to the uninterrupted run (reference %.1f s, faulted %.1f s)%n",
                    round1, stepTimeoutS, tensors, (tRef - t0) / 1e9, (System.nanoTime() - tRef) / 1e9);
        } catch (Throwable t) {
            jvms.dumpLogs();
            throw t;
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
