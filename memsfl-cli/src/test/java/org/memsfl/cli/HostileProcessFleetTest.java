package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.grpc.DeviceTokens;
import org.memsfl.grpc.HostileClients;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.util.Json;

/**
 * Issue 10's hostile-fleet test through real processes: {@code memsfl server} and two honest {@code memsfl device}
 * processes train 3 rounds of stories260K while hostile clients in this JVM ({@link HostileClients}, the project's
 * own wire code, per-device tokens as a compromised device would hold) attack the server:
 * <ul>
 * <li>"evil" registers and each round runs its local steps, then uploads adapters shifted by 1e30 (rounds 1, 3) or
 *     claims 2^62 examples (round 2); afterwards it opens Train streams declaring 16 GiB hidden states;</li>
 * <li>"silent" registers and never speaks again (left out at every round deadline);</li>
 * <li>"ghost" holds a token but never registers: it tries a profile of 4.9e-324 FLOP/s, opens 60 Train streams
 *     declaring 16 GiB each, 300 idle streams and a flood of 3000 GetAdapters calls.</li>
 * </ul>
 * The honest devices finish, the server's RSS (VmRSS of its process, sampled every 20 ms) stays within its baseline
 * (sampled when round 1 opens, the model loaded) + 1.5 GiB, and the final adapters are finite and EQUAL, bit for bit,
 * to those of a run with the same fleet in which evil and silent only register (run beside it, on its own port):
 * every attack is refused before aggregation, so even the robust aggregation used here (fedmedian, which with two
 * honest devices is their unweighted mean) sees the same two uploads; its documented effect is therefore nil here.
 */
class HostileProcessFleetTest {

    static final Duration TIMEOUT = Duration.ofMinutes(4);
    static final long RSS_HEADROOM = 3L << 29; // 1.5 GiB
    static final LoraConfig LORA = new LoraConfig(4, 8, 0, List.of("q", "v"));
    static final List<String> IDS = List.of("a", "b", "evil", "silent", "ghost");

    @TempDir
    Path tmp;

    ChildJvms jvms;
    final Map<String, String> tokens = new LinkedHashMap<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        jvms.close();
    }

    @Test
    void honestDevicesFinishWithBoundedServerMemoryAndTheAttackersChangeNothing() throws Throwable {
        jvms = new ChildJvms(tmp);
        ExecutorService pool = Executors.newCachedThreadPool();
        try {
            run(pool);
        } catch (Throwable t) {
            jvms.dumpLogs();
            throw t;
        } finally {
            pool.shutdownNow();
        }
    }

    private void run(ExecutorService pool) throws Exception {
        long t0 = System.nanoTime();
        StringBuilder lines = new StringBuilder();
        for (String id : IDS) {
            tokens.put(id, DeviceTokens.generate());
            lines.append(id).append(' ').append(tokens.get(id)).append('\n');
            Path f = tmp.resolve("token-" + id);
            Files.writeString(f, tokens.get(id) + "\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        }
        Path tokensFile = tmp.resolve("tokens.txt");
        Files.writeString(tokensFile, lines.toString());
        Files.setPosixFilePermissions(tokensFile, PosixFilePermissions.fromString("rw-------"));
        Path data = ProcessFaultsTest.tinyData(tmp.resolve("tiny.jsonl"), 80);
        // the hostile clients' libtorch and model segment loaded now, not inside round 1's deadline
        org.memsfl.model.ModelResolver.resolve("stories260K", org.memsfl.model.LayerRange.deviceSegment(4),
                org.memsfl.engine.DType.F32).close();

        Process server = server("server", tmp.resolve("attacked"), tokensFile);
        Process refServer = server("ref-server", tmp.resolve("reference"), tokensFile);
        int port = jvms.awaitPort("server", server, TIMEOUT);
        int refPort = jvms.awaitPort("ref-server", refServer, TIMEOUT);
        List<Process> honest = new ArrayList<>();
        for (String run : List.of("", "ref-")) {
            int p = run.isEmpty() ? port : refPort;
            honest.add(device(run + "a", "a", 0, p, data));
            honest.add(device(run + "b", "b", 1, p, data));
        }
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        ManagedChannel refCh = ManagedChannelBuilder.forAddress("localhost", refPort).usePlaintext().build();
        try {
            HostileClients evil = new HostileClients(ch, "evil", tokens.get("evil"));
            HostileClients ghost = new HostileClients(ch, "ghost", tokens.get("ghost"));
            Status tiny = HostileClients.status(() -> ghost.register(3, 4.9e-324));
            assertThat(tiny.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(tiny.getDescription()).contains("flopsPerSecond");
            new HostileClients(ch, "silent", tokens.get("silent")).register(3, 1e12);
            new HostileClients(refCh, "silent", tokens.get("silent")).register(3, 1e12);
            new HostileClients(refCh, "evil", tokens.get("evil")).register(2, 1e12);
            Assignment asg = evil.register(2, 1e12); // the fleet is full once both honest devices are up: round 1 opens

            jvms.awaitErr("server", server, "round 1/3 open", TIMEOUT);
            long pid = server.pid();
            long baseline = rss(pid);
            AtomicLong peak = new AtomicLong(baseline);
            AtomicBoolean sampling = new AtomicBoolean(true);
            Future<?> sampler = pool.submit(() -> {
                while (sampling.get() && server.isAlive()) {
                    try {
                        peak.accumulateAndGet(rss(pid), Math::max);
                        Thread.sleep(20);
                    } catch (Exception e) {
                        return null;
                    }
                }
                return null;
            });

            List<Status> poisoned = new ArrayList<>();
            poisoned.add(evil.poison(asg, LORA, 1, 1e30, 10));
            // the rest attacks while the honest devices train rounds 2 and 3 (started with round 1, the attacks'
            // CPU in this JVM could delay evil's own steps past the round deadline on a small machine)
            Future<Map<Status.Code, Integer>> amplified = pool.submit(() -> ghost.amplify(60, 2));
            Future<Map<Status.Code, Integer>> idle = pool.submit(() -> ghost.idleStreams(300));
            Future<Map<Status.Code, Integer>> flood = pool.submit(() -> ghost.flood(3000));
            poisoned.add(evil.poison(asg, LORA, 2, 0, 1L << 62));
            poisoned.add(evil.poison(asg, LORA, 3, 1e30, 10));
            Map<Status.Code, Integer> evilAmplified = evil.amplify(8, 3);

            for (Process p : honest) {
                assertThat(ChildJvms.exitCode("honest device", p, TIMEOUT)).isZero();
            }
            long peakBeforeExit = Math.max(peak.get(), hwm(pid));
            assertThat(ChildJvms.exitCode("server", server, TIMEOUT)).isZero();
            assertThat(ChildJvms.exitCode("reference server", refServer, TIMEOUT)).isZero();
            sampling.set(false);
            sampler.get(10, TimeUnit.SECONDS);

            for (int r = 0; r < 3; r++) {
                assertThat(poisoned.get(r).getCode()).as("poisoned upload of round " + (r + 1))
                        .isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(poisoned.get(r).getDescription()).contains("the round goes on without it");
            }
            Map<Status.Code, Integer> amp = amplified.get(1, TimeUnit.MINUTES);
            Map<Status.Code, Integer> idl = idle.get(2, TimeUnit.MINUTES);
            Map<Status.Code, Integer> fld = flood.get(2, TimeUnit.MINUTES);
            for (Map<Status.Code, Integer> codes : List.of(amp, idl, fld, evilAmplified)) {
                assertThat(codes).doesNotContainKey(Status.Code.OK).isNotEmpty();
            }
            assertThat(idl).containsKey(Status.Code.RESOURCE_EXHAUSTED); // beyond 8 calls of one device id

            long peakRss = Math.max(peak.get(), peakBeforeExit);
            System.err.printf(Locale.ROOT, "[hostile processes] server RSS baseline %.1f MiB, peak %.1f MiB (+%.1f MiB,"
                    + " limit +1536 MiB); poisoned uploads %s; amplification %s; idle streams %s; flood %s; evil's"
                    + " amplification %s; %.1f s%n", baseline / 1048576.0, peakRss / 1048576.0,
                    (peakRss - baseline) / 1048576.0, poisoned.stream().map(Status::getCode).toList(), amp, idl, fld,
                    evilAmplified, (System.nanoTime() - t0) / 1e9);
            assertThat(peakRss - baseline).as("server RSS growth under attack").isLessThan(RSS_HEADROOM);
        } finally {
            ch.shutdownNow();
            refCh.shutdownNow();
        }

        for (Path out : List.of(tmp.resolve("attacked"), tmp.resolve("reference"))) {
            List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
            assertThat(metrics).hasSize(3);
            for (String line : metrics) {
                JsonNode n = Json.MAPPER.readTree(line);
                List<String> participants = new ArrayList<>();
                n.get("participants").forEach(x -> participants.add(x.asText()));
                assertThat(participants).as(out + " " + line).containsExactlyInAnyOrder("a", "b");
            }
        }
        Map<String, float[]> attacked;
        Map<String, float[]> reference;
        try (AdapterSet x = AdapterIO.load(tmp.resolve("attacked/adapter"));
             AdapterSet y = AdapterIO.load(tmp.resolve("reference/adapter"))) {
            attacked = MultiProcessDeploymentTest.values(x);
            reference = MultiProcessDeploymentTest.values(y);
        }
        assertThat(attacked.keySet()).containsExactlyInAnyOrderElementsOf(reference.keySet());
        reference.forEach((k, v) -> {
            assertThat(attacked.get(k)).as(k + " bit for bit").containsExactly(v);
            for (float f : attacked.get(k)) {
                assertThat(Float.isFinite(f)).as(k).isTrue();
            }
        });
    }

    private Process server(String name, Path out, Path tokensFile) throws Exception {
        return jvms.memsfl(name, "server", "--port", "0", "--model", "stories260K", "--fleet-size", "4",
                "--rounds", "3", "--local-steps", "2", "--batch-size", "2", "--seq-len", "32", "--lora-rank", "4",
                "--lora-alpha", "8", "--lora-targets", "q,v", "--partition", "iid", "--seed", "5",
                "--aggregation", "fedmedian", "--insecure", "--tokens", tokensFile.toString(), "--out", out.toString(),
                "--round-timeout-s", "10", "--step-timeout-s", "5", "--finish-grace-s", "20");
    }

    private Process device(String name, String id, int partition, int port, Path data) throws Exception {
        return jvms.memsfl(name, "device", "--server", "localhost:" + port, "--device-id", id,
                "--token-file", tmp.resolve("token-" + id).toString(), "--data", data.toString(),
                "--partition", Integer.toString(partition), "--insecure", "--join-timeout-s", "300");
    }

    /** VmRSS of process {@code pid} in bytes (Linux /proc). */
    static long rss(long pid) throws java.io.IOException {
        return procStatus(pid, "VmRSS:");
    }

    /** VmHWM (peak resident set) of process {@code pid} in bytes, 0 when it has exited. */
    static long hwm(long pid) {
        try {
            return procStatus(pid, "VmHWM:");
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static long procStatus(long pid, String field) throws java.io.IOException {
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (l.startsWith(field)) {
                return Long.parseLong(l.substring(field.length()).replace("kB", "").strip()) * 1024;
            }
        }
        throw new java.io.IOException(field + " missing from /proc/" + pid + "/status");
    }
}
