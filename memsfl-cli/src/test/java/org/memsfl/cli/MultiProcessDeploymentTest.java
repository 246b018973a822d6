package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.Tensors;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.FleetFiles;
import org.memsfl.fleet.Fleets;
import org.memsfl.grpc.DeviceTokens;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.util.Json;

/**
 * The deployment as a user runs it: {@code memsfl server} and three {@code memsfl device} commands, each its own OS
 * process (a child JVM on this test's classpath, main class {@link Main}), talk gRPC over loopback TLS (a throw-away
 * CA and server certificate made with keytool) with a token per device, and train two rounds of stories260K on Dolly
 * partitioned by category. The adapters the server writes must be the ones the simulator's memsfl method trains with
 * the same seeds, settings, fleet and cuts ({@link SimulatorOracle}, the whole fleet in one JVM).
 *
 * <p>Tolerance. memsfl-grpc's EndToEndTest runs the same server and device code in one JVM over loopback TLS and gets
 * the simulator's adapters bit for bit; across processes the code, the batches, the per-device order of arithmetic and
 * the float32 wire are the same, so equality is expected to be exact. One thing is not automatically the same: the
 * OpenBLAS thread count, which OpenBLAS reads from the environment when it loads and which changes how a GEMM splits
 * its sums. The children run with one OpenBLAS thread (five JVMs share a small machine), while surefire gives this
 * JVM two; with the oracle in this JVM the adapters differed by up to 6.0e-6 (float32 rounding, the same on every
 * run, amplified by AdamW, whose first steps move each weight by about lr times the sign of its gradient), and by
 * exactly 0 when the children were given two threads as well. So the oracle runs as one more child JVM with the
 * children's thread settings, and the server's and every device's adapters are asserted within a max abs difference
 * of 1e-6 per element (observed: 0, bit-identical), the eval losses within 1e-9. Anything that really differs (a
 * partition, a batch, a cut, an aggregation weight, a lossy wire) moves adapters by orders of magnitude more.
 */
class MultiProcessDeploymentTest {

    static final double TOLERANCE = 1e-6;
    static final Duration PROCESS_TIMEOUT = Duration.ofMinutes(4);

    @TempDir
    Path tmp;

    private ChildJvms jvms;

    @AfterEach
    void stopChildren() throws InterruptedException {
        jvms.close();
    }

    @Test
    void serverAndThreeDeviceProcessesTrainTheSimulatorsAdapters() throws Throwable {
        jvms = new ChildJvms(tmp);
        try {
            run();
        } catch (Throwable t) {
            jvms.dumpLogs();
            throw t;
        }
    }

    private void run() throws Exception {
        long t0 = System.nanoTime();
        Fleet paper = Fleets.preset("paper-5");
        List<DeviceProfile> devices = List.of(paper.devices().get(0), paper.devices().get(2), paper.devices().get(4));
        Fleet fleet = new Fleet("cli-3", devices, paper.server());
        Path fleetFile = tmp.resolve("cli-3.yaml");
        Files.writeString(fleetFile, FleetFiles.toYaml(fleet));

        // a real deployment's credentials: a CA the devices trust, a server certificate, one token per device
        KeytoolCerts.Files3 certs = KeytoolCerts.generate(tmp.resolve("tls"), "memsfl cli test CA");
        Map<String, Path> tokenFiles = new LinkedHashMap<>();
        StringBuilder tokens = new StringBuilder();
        for (DeviceProfile d : devices) {
            String token = DeviceTokens.generate();
            tokens.append(d.id()).append(' ').append(token).append('\n');
            Path f = tmp.resolve("token-" + d.id());
            Files.writeString(f, token + "\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------")); // secrets: owner only
            tokenFiles.put(d.id(), f);
        }
        Path tokensFile = tmp.resolve("tokens.txt");
        Files.writeString(tokensFile, tokens.toString());
        Files.setPosixFilePermissions(tokensFile, PosixFilePermissions.fromString("rw-------"));
        long tCerts = System.nanoTime();

        // the server on any free port; --partition is left at its default (natural: Dolly by category, as the
        // oracle's), and manifest.json is checked for it below
        Path out = tmp.resolve("server");
        Process server = jvms.memsfl("server", "server", "--port", "0", "--model", "stories260K",
                "--plan-shape", "random:gpt2-medium", "--fleet-size", Integer.toString(devices.size()),
                "--rounds", Integer.toString(SimulatorOracle.ROUNDS),
                "--local-steps", Integer.toString(SimulatorOracle.LOCAL_STEPS),
                "--batch-size", Integer.toString(SimulatorOracle.BATCH_SIZE),
                "--seq-len", Integer.toString(SimulatorOracle.SEQ_LEN), "--lr", Double.toString(SimulatorOracle.LR),
                "--warmup", Integer.toString(SimulatorOracle.WARMUP),
                "--max-grad-norm", Double.toString(SimulatorOracle.MAX_GRAD_NORM),
                "--lora-rank", Integer.toString(SimulatorOracle.LORA.rank()),
                "--lora-alpha", Double.toString(SimulatorOracle.LORA.alpha()),
                "--lora-targets", String.join(",", SimulatorOracle.LORA.targets()), "--aggregation", "fedavg",
                "--wire-dtype", "fp32", "--safety-margin", Double.toString(SimulatorOracle.SAFETY_MARGIN),
                "--eval-data", "dolly", "--eval-examples", Integer.toString(SimulatorOracle.EVAL_EXAMPLES),
                "--seed", Long.toString(SimulatorOracle.SEED), "--out", out.toString(),
                "--cert", certs.cert().toString(), "--key", certs.key().toString(), "--tokens", tokensFile.toString(),
                "--finish-grace-s", "30", "--round-timeout-s", "300", "--step-timeout-s", "240");
        // the oracle needs nothing from the deployment and runs beside it, on the core the server's start leaves free
        Path oracleOut = tmp.resolve("oracle");
        Process oracle = jvms.start("oracle", SimulatorOracle.class.getName(), fleetFile.toString(), oracleOut.toString());
        int port = jvms.awaitPort("server", server, PROCESS_TIMEOUT);

        // three devices, device i on partition i (the simulator's order), each with its paper-5 profile
        Map<String, Process> deviceProcs = new LinkedHashMap<>();
        for (int i = 0; i < devices.size(); i++) {
            DeviceProfile d = devices.get(i);
            deviceProcs.put(d.id(), jvms.memsfl("device-" + d.id(), "device",
                    "--server", "localhost:" + port, "--device-id", d.id(),
                    "--token-file", tokenFiles.get(d.id()).toString(), "--data", "dolly",
                    "--partition", Integer.toString(i), "--memory-budget", Long.toString(d.memoryBudgetBytes()),
                    "--compute", Double.toString(d.flopsPerSecond()), "--uplink", Double.toString(d.uplinkBytesPerSecond()),
                    "--downlink", Double.toString(d.downlinkBytesPerSecond()),
                    "--latency", Double.toString(d.latencySeconds()), "--ca", certs.ca().toString(),
                    "--out", tmp.resolve("device-" + d.id()).toString(), "--join-timeout-s", "240", "--json"));
        }

        // every process finishes on its own with exit code 0
        for (Map.Entry<String, Process> e : deviceProcs.entrySet()) {
            awaitExit("device " + e.getKey(), e.getValue(), t0);
        }
        awaitExit("server", server, t0);
        long tDeployment = System.nanoTime();
        awaitExit("oracle", oracle, t0);
        long tDone = System.nanoTime();

        JsonNode expectedRun = Json.MAPPER.readTree(oracleOut.resolve("oracle.json").toFile());
        Map<String, Integer> simCuts = new LinkedHashMap<>();
        expectedRun.get("cuts").fields().forEachRemaining(e -> simCuts.put(e.getKey(), e.getValue().asInt()));
        assertThat(simCuts.keySet()).containsExactlyElementsOf(devices.stream().map(DeviceProfile::id).toList());
        assertThat(new HashSet<>(simCuts.values())).as("heterogeneous cuts").hasSizeGreaterThan(1);
        List<Double> expectedEval = new ArrayList<>();
        expectedRun.get("eval_loss").forEach(n -> expectedEval.add(n.asDouble()));
        assertThat(expectedEval).hasSize(SimulatorOracle.ROUNDS);
        Map<String, float[]> expected;
        try (AdapterSet a = AdapterIO.load(oracleOut.resolve("adapter"))) {
            expected = values(a);
        }

        // the server's final global adapters against the simulator's
        double maxDiff;
        try (AdapterSet saved = AdapterIO.load(out.resolve("adapter"))) {
            Map<String, float[]> actual = values(saved);
            assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            maxDiff = maxAbsDiff(expected, actual);
        }
        System.err.printf(Locale.ROOT, "[multi-process e2e] server adapters vs simulator: max abs diff %.3e over %d"
                        + " tensors (tolerance %.0e); certs ready at %.1f s, deployment done at %.1f s, oracle done at"
                        + " %.1f s%n", maxDiff, expected.size(), TOLERANCE, (tCerts - t0) / 1e9,
                (tDeployment - t0) / 1e9, (tDone - t0) / 1e9);
        assertThat(maxDiff).as("max abs diff of the server's adapters from the simulator's").isLessThanOrEqualTo(TOLERANCE);

        // server outputs: metrics per round with the simulator's eval loss, summary with the simulator's cuts
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertThat(lines).hasSize(SimulatorOracle.ROUNDS);
        for (int r = 0; r < SimulatorOracle.ROUNDS; r++) {
            JsonNode n = Json.MAPPER.readTree(lines.get(r));
            assertThat(n.get("round").asInt()).isEqualTo(r + 1);
            assertThat(n.get("eval_loss").asDouble()).as("eval loss of round " + (r + 1))
                    .isCloseTo(expectedEval.get(r), within(1e-9));
            assertThat(n.get("participants")).hasSize(devices.size());
        }
        assertThat(out.resolve("summary.json")).isRegularFile();
        JsonNode summary = Json.MAPPER.readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("methods").get("memsfl").get("final_eval_loss").asDouble())
                .isCloseTo(expectedEval.get(SimulatorOracle.ROUNDS - 1), within(1e-9));
        simCuts.forEach((id, c) -> assertThat(summary.get("cuts").get(id).asInt()).as("cut of " + id).isEqualTo(c));
        JsonNode manifest = Json.MAPPER.readTree(out.resolve("manifest.json").toFile());
        assertThat(manifest.findValuesAsText("partition")).as("partition in manifest.json").contains("natural");
        assertThat(jvms.err("server")).contains("TLS", "per-device tokens");

        // device outputs: each wrote metrics.jsonl and summary.json, reports the simulator's cut and both rounds, and
        // ends with the aggregate's device side
        for (DeviceProfile d : devices) {
            Path dir = tmp.resolve("device-" + d.id());
            assertThat(dir.resolve("metrics.jsonl")).isRegularFile();
            assertThat(Files.readAllLines(dir.resolve("metrics.jsonl"))).isNotEmpty();
            assertThat(dir.resolve("summary.json")).isRegularFile();
            JsonNode report = Json.MAPPER.readTree(jvms.out("device-" + d.id()));
            assertThat(report.get("device").asText()).isEqualTo(d.id());
            assertThat(report.get("cut").asInt()).as("cut of " + d.id()).isEqualTo(simCuts.get(d.id()));
            assertThat(report.get("rounds_trained").toString()).isEqualTo("[1,2]");
            assertThat(report.get("missed_rounds")).isEmpty();
            try (AdapterSet a = AdapterIO.load(dir.resolve("adapter"))) {
                Map<String, float[]> dev = values(a);
                assertThat(dev).isNotEmpty();
                assertThat(expected.keySet()).containsAll(dev.keySet());
                Map<String, float[]> exp = new LinkedHashMap<>();
                dev.keySet().forEach(k -> exp.put(k, expected.get(k)));
                assertThat(maxAbsDiff(exp, dev)).as("device " + d.id() + " adapters").isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    private void awaitExit(String what, Process p, long t0) throws InterruptedException {
        long left = PROCESS_TIMEOUT.toNanos() - (System.nanoTime() - t0);
        assertThat(p.waitFor(Math.max(left, 0), TimeUnit.NANOSECONDS)).as(what + " finished within " + PROCESS_TIMEOUT)
                .isTrue();
        assertThat(p.exitValue()).as("exit code of " + what).isZero();
    }

    private static double maxAbsDiff(Map<String, float[]> expected, Map<String, float[]> actual) {
        double max = 0;
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            float[] a = actual.get(e.getKey());
            assertThat(a).as(e.getKey()).isNotNull().hasSameSizeAs(e.getValue());
            for (int i = 0; i < a.length; i++) {
                double d = Math.abs((double) a[i] - e.getValue()[i]);
                if (Double.isNaN(d)) {
                    return Double.NaN;
                }
                max = Math.max(max, d);
            }
        }
        return max;
    }

    static Map<String, float[]> values(AdapterSet a) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : a.toTensorMap().entrySet()) {
            out.put(e.getKey(), Tensors.toFloats(e.getValue()));
        }
        return out;
    }
}
