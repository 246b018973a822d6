package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.Tensors;
import org.memsfl.fed.Aggregators;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.FleetFiles;
import org.memsfl.fleet.Fleets;
import org.memsfl.grpc.proto.GetAdaptersRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.schedule.Policies;
import org.memsfl.sim.SimContext;
import org.memsfl.settings.RunSettings;
import org.memsfl.sim.method.SplitFederatedMethod;
import org.memsfl.train.Evaluator;
import org.memsfl.util.Json;

/**
 * The deployment against its oracle: an edge server and three device clients (threads of this JVM, each holding only
 * its own model segment and data partition) over loopback TLS with per-device tokens train two rounds of stories260K
 * on Dolly by category, and must end with the adapters the simulator's memsfl method trains with the same seeds,
 * fleet and cuts. The arithmetic is the same code on the same batches in the same per-device order, and the server's
 * work for one device never touches another's state, so the order in which the server serves devices cannot matter:
 * equality is asserted bit for bit (float32 adapters, and the eval loss to the last double bit). With LoRA dropout on,
 * the same holds because each device's masks come from its own generator on each side, seeded per round: the
 * server's arrival order (here set by thread timing) and its scheduler's choices do not reach the random draws.
 *
 * <p>The case with dropout and a non-FCFS scheduler also drops a device (the simulator leaves it out of round 1): the
 * third device's client registers once the two others are ready to train, then is held back from asking for round 1
 * until that round has ended at its deadline without it, and trains from round 2 on. It readies its data and segment
 * while round 1 runs, so each round needs only its steps and the deadline can be short.
 */
class EndToEndTest {

    static final LoraConfig LORA = new LoraConfig(4, 8, 0, List.of("q", "v"));

    static LoraConfig lora(double dropout) {
        return new LoraConfig(LORA.rank(), LORA.alpha(), dropout, LORA.targets());
    }

    @TempDir
    Path tmp;

    /** The round deadline of the case with a dropped device: round 1 waits this long for it. */
    static final Duration DROP_DEADLINE = Duration.ofSeconds(20);

    @ParameterizedTest(name = "lora dropout {0}, scheduler {1}, a device dropped in round 1: {2}")
    @CsvSource({"0.0, fcfs, false", "0.1, schrage, true", "0.0, best, true"})
    void threeDevicesOverTlsTrainExactlyTheSimulatorsAdapters(double dropout, String scheduler, boolean drop)
            throws Exception {
        Fleet paper = Fleets.preset("paper-5");
        List<DeviceProfile> devices = List.of(paper.devices().get(0), paper.devices().get(2), paper.devices().get(4));
        String late = drop ? devices.get(2).id() : null;
        Fleet fleet = new Fleet("grpc-3", devices, paper.server());
        Path fleetFile = tmp.resolve("grpc-3.yaml");
        Files.writeString(fleetFile, FleetFiles.toYaml(fleet));
        // one settings record for both sides: the simulator runs it, the edge server holds it (with its own order)
        RunSettings sim = RunSettings.builder().model("stories260K").planShape("random:gpt2-medium").data("dolly")
                .partition("natural").fleet(fleetFile.toString()).rounds(2).localSteps(2).scheduler("fcfs")
                .aggregation("fedavg").batchSize(2).seqLen(48).lora(lora(dropout)).lr(3e-3).warmup(1).maxGradNorm(1.0)
                .evalExamples(8).safetyMargin(0.1).wire(org.memsfl.split.WireFormat.FP32).seed(7).build();

        // the oracle: the simulator's memsfl method, in process
        Map<String, float[]> expected;
        List<Double> expectedEval = new ArrayList<>();
        Map<String, Integer> simCuts;
        try (SimContext ctx = new SimContext(sim);
             SplitFederatedMethod m = new SplitFederatedMethod(SplitFederatedMethod.Variant.MEMSFL, ctx,
                     Aggregators.of("fedavg"), Policies.of("fcfs"))) {
            assertThat(ctx.participants()).hasSize(3);
            simCuts = new LinkedHashMap<>(ctx.cuts());
            if (drop) {
                m.leaveOut(late, 1);
            }
            for (int r = 1; r <= 2; r++) {
                m.round(r);
                expectedEval.add(Evaluator.evaluate(ctx.loaded().model(), m.globalAdapters(), ctx.evalBatches()).loss());
            }
            expected = values(m.globalAdapters());
        }
        assertThat(new HashSet<>(simCuts.values())).as("heterogeneous cuts").hasSizeGreaterThan(1);

        // the deployment: same settings, TLS on loopback, a token per device
        TestCerts.Files3 certs = TestCerts.generate(tmp.resolve("tls"), "memsfl test CA");
        Path out = tmp.resolve("server");
        ServerDeployment.Builder deployment = ServerDeployment.builder(sim.toBuilder().scheduler(scheduler).build())
                .fleetSize(3).out(out).evalData("dolly");
        ServerDeployment settings = (drop ? deployment.roundTimeout(DROP_DEADLINE) : deployment).build();
        Map<String, String> tokens = new LinkedHashMap<>();
        devices.forEach(d -> tokens.put(d.id(), DeviceTokens.generate()));
        List<String> logLines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.function.Consumer<String> log = line -> {
            logLines.add(line);
            System.err.println("[e2e] " + line);
        };
        List<DeviceClient.Report> reports = new ArrayList<>();
        List<ManagedChannel> channels = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(devices.size());
        try (EdgeServer server = EdgeServer.start(settings, DeviceTokens.of(tokens),
                Transport.serverCredentials(false, certs.cert(), certs.key()), 0, log)) {
            List<Future<DeviceClient.Report>> futures = new ArrayList<>();
            for (int i = 0; i < devices.size(); i++) {
                DeviceProfile d = devices.get(i);
                ManagedChannel ch = Transport.channel("localhost:" + server.port(),
                        Transport.channelCredentials(false, certs.ca()));
                channels.add(ch);
                Channel toServer = d.id().equals(late)
                        ? ClientInterceptors.intercept(ch, missRoundOne(server, logLines)) : ch;
                DeviceSettings ds = DeviceSettings.of(d, "dolly", i, tmp.resolve("device-" + d.id()));
                futures.add(pool.submit(() -> new DeviceClient(ds, toServer, tokens.get(d.id()), log).run()));
            }
            for (Future<DeviceClient.Report> f : futures) {
                reports.add(f.get(5, TimeUnit.MINUTES));
            }
            server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(10));
            Map<String, float[]> actual;
            try (AdapterSet g = server.globalAdapters()) {
                actual = values(g);
            }
            assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
            expected.forEach((k, v) -> assertThat(actual.get(k)).as(k).containsExactly(v));
        } finally {
            pool.shutdownNow();
            channels.forEach(ManagedChannel::shutdownNow);
        }

        // each device ends with the aggregate's device side, bit for bit
        for (DeviceClient.Report r : reports) {
            try (AdapterSet a = r.finalAdapters()) {
                assertThat(r.cut()).isEqualTo(simCuts.get(r.deviceId()));
                if (r.deviceId().equals(late)) {
                    assertThat(r.roundsTrained()).containsExactly(2);
                } else {
                    assertThat(r.roundsTrained()).containsExactly(1, 2);
                }
                assertThat(r.missedRounds()).isEmpty();
                Map<String, float[]> dev = values(a);
                assertThat(dev).isNotEmpty();
                dev.forEach((k, v) -> assertThat(v).as(r.deviceId() + " " + k).containsExactly(expected.get(k)));
                assertThat(r.bytesUp()).isPositive();
                assertThat(r.bytesDown()).isPositive();
            }
        }

        // outputs: metrics per round with the simulator's eval loss, summary in compare's shape, saved adapters
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertThat(lines).hasSize(2);
        for (int r = 0; r < 2; r++) {
            JsonNode n = Json.MAPPER.readTree(lines.get(r));
            assertThat(n.get("round").asInt()).isEqualTo(r + 1);
            assertThat(n.get("eval_loss").asDouble()).isEqualTo(expectedEval.get(r));
            assertThat(n.get("bytes_up").asLong()).isPositive();
            boolean dropped = drop && r == 0;
            assertThat(n.get("participants")).hasSize(dropped ? 2 : 3);
            assertThat(n.get("dropped").toString()).isEqualTo(dropped ? "[\"" + late + "\"]" : "[]");
            assertThat(n.get("scheduler").asText()).isEqualTo(scheduler);
            // the policy the round was served with: the scheduler's own, or for best one of its candidates
            assertThat(n.get("dispatch_policy").asText()).isIn(scheduler.equals("best")
                    ? org.memsfl.schedule.BestPredicted.CANDIDATES : List.of(scheduler));
            // every device's every local step was served once, each device's steps in order
            List<String> served = new ArrayList<>();
            n.get("serve_order").forEach(x -> served.add(x.asText()));
            assertThat(served).hasSize((dropped ? 2 : 3) * 2);
            for (DeviceProfile d : devices) {
                List<String> its = served.stream().filter(x -> x.startsWith(d.id() + ":")).toList();
                if (dropped && d.id().equals(late)) {
                    assertThat(its).isEmpty();
                } else {
                    assertThat(its).containsExactly(d.id() + ":1", d.id() + ":2");
                }
            }
        }
        JsonNode summary = Json.MAPPER.readTree(out.resolve("summary.json").toFile());
        JsonNode memsfl = summary.get("methods").get("memsfl");
        assertThat(memsfl.get("final_eval_loss").asDouble()).isEqualTo(expectedEval.get(1));
        assertThat(memsfl.get("bytes_up").asLong()).isPositive();
        assertThat(memsfl.get("device_peak_bytes")).hasSize(3);
        simCuts.forEach((id, c) -> assertThat(summary.get("cuts").get(id).asInt()).isEqualTo(c));
        try (AdapterSet saved = AdapterIO.load(out.resolve("adapter"))) {
            expected.forEach((k, v) -> assertThat(values(saved).get(k)).containsExactly(v));
        }
        assertThat(Files.exists(tmp.resolve("device-" + devices.get(0).id()).resolve("metrics.jsonl"))).isTrue();
        // each process reports its model's bytes by category: a device holds its segment (no head), the server all
        JsonNode devSummary = Json.MAPPER.readTree(tmp.resolve("device-" + devices.get(0).id()).resolve("summary.json")
                .toFile());
        JsonNode devBytes = devSummary.get("memory_bytes_by_category");
        assertThat(devBytes.get("embedding").asLong()).isPositive();
        assertThat(devBytes.get("layers").asLong()).isPositive();
        assertThat(devBytes.get("head").asLong()).isZero();
        assertThat(devBytes.get("optimizer_state").asLong()).isEqualTo(2 * devBytes.get("lora").asLong());
        JsonNode serverBytes = memsfl.get("memory").get("server_model_bytes_by_category");
        assertThat(serverBytes.get("layers").asLong()).isGreaterThan(devBytes.get("layers").asLong());
        assertThat(serverBytes.get("frozen_total").asLong()).isEqualTo(serverBytes.get("embedding").asLong()
                + serverBytes.get("layers").asLong() + serverBytes.get("head").asLong() + serverBytes.get("other").asLong());
        assertThat(logLines).anyMatch(l -> l.contains("training finished"));
    }

    /**
     * Holds a device out of round 1: its Register waits until the two other devices are about to ask for round 1 (each
     * has said which partition it trains), so that round 1 opens with them ready; its ask for round 1 waits until the
     * round has ended at its deadline, and the server then answers with round 2.
     */
    private static ClientInterceptor missRoundOne(EdgeServer server, List<String> logLines) {
        return new ClientInterceptor() {
            @Override
            public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<A> listener, Metadata headers) {
                        if (method.equals(SplitFederationGrpc.getRegisterMethod())) {
                            waitFor(() -> logLines.stream().filter(l -> l.matches(".*: data .*, partition \\d+ of 3 .*"))
                                    .count() >= 2, "the other devices load their data");
                        }
                        super.start(listener, headers);
                    }

                    @Override
                    public void sendMessage(Q m) {
                        if (m instanceof GetAdaptersRequest g && g.getRound() == 1) {
                            waitFor(() -> server.round() >= 2, "round 1 ends at its deadline");
                        }
                        super.sendMessage(m);
                    }
                };
            }
        };
    }

    private static void waitFor(java.util.function.BooleanSupplier done, String what) {
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError(what + ": not within 5 minutes");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static Map<String, float[]> values(AdapterSet a) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : a.toTensorMap().entrySet()) {
            out.put(e.getKey(), Tensors.toFloats(e.getValue()));
        }
        return out;
    }
}
