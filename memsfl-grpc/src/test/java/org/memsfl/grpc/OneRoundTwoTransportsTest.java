package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.fed.Aggregators;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.FleetFiles;
import org.memsfl.fleet.Fleets;
import org.memsfl.grpc.proto.ActivationMessage;
import org.memsfl.grpc.proto.GradientMessage;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.metrics.Prediction;
import org.memsfl.metrics.PredictionsFile;
import org.memsfl.schedule.Policies;
import org.memsfl.sim.SimContext;
import org.memsfl.settings.RunSettings;
import org.memsfl.sim.method.RoundOutcome;
import org.memsfl.sim.method.SplitFederatedMethod;
import org.memsfl.train.TaskEvalPlan;
import org.memsfl.train.TaskEvaluator;

/**
 * The same core round ({@code round.SplitServer} and {@code round.SplitDevice}) driven in process by the simulator and
 * over gRPC by the edge server and three device clients: 2 rounds of 3 devices, the third of which misses round 1
 * (in process: left out; over gRPC: registered, then silent until the round's deadline, then a real client that
 * rejoins at round 2). Both must end with the same global adapters, bit for bit, and record the same serving orders.
 *
 * <p>The server is slow in the fleet both sides plan with (the delay model's server times are long), so steps queue up
 * and the dispatcher has real choices. Over gRPC the arrivals are thread timing, so a {@link Gate} replays the
 * in-process round's arrivals: a device sends a step only once the server has made the choices before that step's
 * arrival in the simulated round, and the server, having made a choice, is held until every step that arrived before
 * its next choice in the simulated round has reached it. So the server's dispatcher faces the same waiting steps,
 * reaching it in the same order, at every choice; it must then serve, and record, the same order. The in-process round
 * makes at least one choice that first come, first served would not (asserted), so a server that ignored the scheduler
 * fails here.
 *
 * <p>The edge server also evaluates the final round by generation, with the simulator's {@code TaskEvaluator} on
 * each device's held-out prompts: its predictions.jsonl and metrics.json must hold what the simulator's code gives
 * on the in-process adapters.
 */
class OneRoundTwoTransportsTest {

    static final LoraConfig LORA = new LoraConfig(4, 8, 0, List.of("q", "v"));
    static final String SCHEDULER = "schrage";
    /** The server's FLOP/s both sides predict with: slow enough that steps wait for it at this tiny shape. */
    static final double SLOW_SERVER = 2e8;

    @TempDir
    Path tmp;

    @Test
    void inProcessAndGrpcDriveTheSameRound() throws Exception {
        Fleet paper = Fleets.preset("paper-5");
        List<DeviceProfile> devices = List.of(paper.devices().get(0), paper.devices().get(2), paper.devices().get(4));
        String late = devices.get(2).id();
        Fleet fleet = new Fleet("grpc-3", devices,
                new org.memsfl.fleet.ServerProfile(SLOW_SERVER, paper.server().memoryBytes()));
        Path fleetFile = tmp.resolve("grpc-3.yaml");
        Files.writeString(fleetFile, FleetFiles.toYaml(fleet));
        // a small prompt/response file: loading Dolly on every device would eat the round deadline on a busy machine
        String data = InProcessFleet.tinyData(tmp.resolve("data"), 90).toString();
        // one settings record, which the simulator runs and the edge server holds
        RunSettings sim = RunSettings.builder().model("stories260K").planShape("random:gpt2-medium").data(data)
                .partition("iid").fleet(fleetFile.toString()).rounds(2).localSteps(2).scheduler(SCHEDULER)
                .aggregation("fedavg").batchSize(2).seqLen(48).lora(LORA).lr(3e-3).warmup(1).maxGradNorm(1.0)
                .evalExamples(8).safetyMargin(0.1).wire(org.memsfl.split.WireFormat.FP32).seed(7).build();

        // generation-based evaluation of the final round on both sides: 2 held-out prompts per device, 8 new tokens
        TaskEvalPlan generation = new TaskEvalPlan(TaskEvaluator.Settings.greedy(8, 4), 2, 0);
        // in process: the simulator's driver, the late device left out of round 1
        Map<String, float[]> expected;
        TaskEvaluator.Result expectedTask;
        Map<Integer, List<String>> expectedOrder = new HashMap<>();
        Gate gate = new Gate();
        try (SimContext ctx = new SimContext(sim);
             SplitFederatedMethod m = new SplitFederatedMethod(SplitFederatedMethod.Variant.MEMSFL, ctx,
                     Aggregators.of("fedavg"), Policies.of(SCHEDULER))) {
            m.leaveOut(late, 1);
            for (int r = 1; r <= 2; r++) {
                RoundOutcome o = m.round(r);
                expectedOrder.put(r, o.serveOrder());
                gate.replay(r, o.schedule());
                assertThat(o.participants()).as("round " + r).hasSize(r == 1 ? 2 : 3);
            }
            expected = EndToEndTest.values(m.globalAdapters());
            expectedTask = TaskEvaluator.evaluate(ctx.loaded().model(), m.globalAdapters(), ctx.loaded().requireTokenizer(),
                    ctx.encoder(), ctx.datasetName(), ctx.heldOutByDevice(2), generation.settings());
        }
        assertThat(expectedOrder.get(1)).hasSize(2 * 2).noneMatch(x -> x.startsWith(late + ":"));
        assertThat(expectedOrder.get(2)).hasSize(3 * 2);
        assertThat(gate.choicesFcfsWouldNotMake).as("choices of the scheduler that arrival order would not make")
                .isPositive();

        // over gRPC (in-process transport): the late device registers, stays silent in round 1, rejoins at round 2
        Path out = tmp.resolve("server");
        ServerDeployment settings = ServerDeployment.builder(sim).fleetSize(3).out(out).evalData(data)
                .roundTimeout(Duration.ofSeconds(60)).generation(generation).serverFlops(SLOW_SERVER).build();
        ExecutorService pool = Executors.newCachedThreadPool();
        List<ManagedChannel> channels = new ArrayList<>();
        try (InProcessFleet f = new InProcessFleet(settings, devices.stream().map(DeviceProfile::id).toList(), "2t",
                gate.serverSide())) {
            List<Future<DeviceClient.Report>> reports = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                reports.add(start(f, devices.get(i), data, i, gate, pool, channels));
            }
            ManagedChannel raw = InProcessChannelBuilder.forName(f.name).build();
            channels.add(raw);
            SplitFederationGrpc.newBlockingStub(raw).withCallCredentials(new DeviceCredentials(late, f.tokens.get(late)))
                    .withDeadlineAfter(60, TimeUnit.SECONDS).register(request(devices.get(2), 2));
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (f.server.round() < 2 && System.nanoTime() < until) {
                Thread.sleep(100);
            }
            assertThat(f.server.round()).as("round 1 ended at its deadline").isGreaterThanOrEqualTo(2);
            reports.add(start(f, devices.get(2), data, 2, gate, pool, channels));
            for (Future<DeviceClient.Report> r : reports) {
                r.get(5, TimeUnit.MINUTES).finalAdapters().close();
            }
            f.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(10));
            try (AdapterSet g = f.server.globalAdapters()) {
                Map<String, float[]> actual = EndToEndTest.values(g);
                assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
                expected.forEach((k, v) -> assertThat(actual.get(k)).as(k).containsExactly(v));
            }
        } finally {
            pool.shutdownNow();
            channels.forEach(ManagedChannel::shutdownNow);
        }
        assertThat(gate.problems).as("the replay of the in-process arrivals").isEmpty();
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertThat(lines).hasSize(2);
        for (int r = 1; r <= 2; r++) {
            JsonNode n = org.memsfl.util.Json.MAPPER.readTree(lines.get(r - 1));
            List<String> served = new ArrayList<>();
            n.get("serve_order").forEach(x -> served.add(x.asText()));
            assertThat(served).as("serve order of round " + r).containsExactlyElementsOf(expectedOrder.get(r));
            assertThat(n.get("dropped").toString()).isEqualTo(r == 1 ? "[\"" + late + "\"]" : "[]");
            assertThat(n.has("task_metrics")).as("generation in round " + r + " (final only)").isEqualTo(r == 2);
        }
        // the server generated with the simulator's TaskEvaluator on the same adapters: the same answers and scores
        List<Prediction> served = PredictionsFile.readByMethod(out.resolve("predictions.jsonl")).get("memsfl");
        assertThat(served).isEqualTo(expectedTask.predictions());
        JsonNode metricsJson = org.memsfl.util.Json.MAPPER.readTree(out.resolve("metrics.json").toFile());
        JsonNode task = metricsJson.get("methods").get("memsfl");
        assertThat(task.get("prompts").asInt()).isEqualTo(expectedTask.predictions().size()).isPositive();
        expectedTask.metrics().forEach((k, v) -> assertThat(task.get("metrics").get(k).asDouble()).as(k).isEqualTo(v));
        assertThat(task.get("per_device").get("devices").size()).isEqualTo(expectedTask.perDevice().perDevice().size());
        JsonNode summary = org.memsfl.util.Json.MAPPER.readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("methods").get("memsfl").get("task")).isEqualTo(task);
    }

    private static RegisterRequest request(DeviceProfile p, int partition) {
        return RegisterRequest.newBuilder().setDeviceId(p.id()).setPartitionIndex(partition).setProtocolVersion(1)
                .setProfile(org.memsfl.grpc.proto.DeviceProfile.newBuilder().setMemoryBudgetBytes(p.memoryBudgetBytes())
                        .setFlopsPerSecond(p.flopsPerSecond()).setUplinkBytesPerSecond(p.uplinkBytesPerSecond())
                        .setDownlinkBytesPerSecond(p.downlinkBytesPerSecond()).setLatencySeconds(p.latencySeconds()))
                .build();
    }

    private static Future<DeviceClient.Report> start(InProcessFleet f, DeviceProfile d, String data, int partition,
                                                     Gate g, ExecutorService pool, List<ManagedChannel> channels) {
        ManagedChannel ch = InProcessChannelBuilder.forName(f.name).build();
        channels.add(ch);
        Channel gated = ClientInterceptors.intercept(ch, g.forDevice(d.id()));
        DeviceSettings ds = DeviceSettings.of(d, data, partition, null);
        return pool.submit(() -> new DeviceClient(ds, gated, f.tokens.get(d.id()), f.logger).run());
    }

    /**
     * Replays a simulated round's arrivals over gRPC. In the simulated round ({@code RoundResult}) step j arrives
     * before the server's choice {@code due(j)}: the first choice made at or after its release. A device sends step j
     * once the server has begun choice {@code due(j) - 1} (its first gradient chunk goes out); and the server, having
     * made choice n, is held until every step due at choice n + 1 has reached its worker's queue (except a step of the
     * device just served, which needs this gradient first: then the simulated server was idle, and that step is the
     * only one due). Arrivals due at one choice are sent in the simulated arrival order, one after the other.
     */
    static final class Gate {
        private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);
        private final Map<Integer, List<String>> order = new HashMap<>();
        private final Map<Integer, Map<String, Integer>> due = new HashMap<>();
        private final Map<Integer, Integer> decided = new HashMap<>();
        private final Set<String> arrived = new HashSet<>();
        final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        int choicesFcfsWouldNotMake;

        /** Learns round {@code r}'s simulated arrivals and checks that they can be replayed without a race. */
        void replay(int r, org.memsfl.schedule.RoundResult schedule) {
            List<org.memsfl.schedule.ServerSlot> slots = schedule.slots();
            List<String> keys = schedule.serveOrder();
            Map<String, Integer> dueAt = new LinkedHashMap<>();
            int[] dueOf = new int[slots.size()];
            for (int j = 0; j < slots.size(); j++) {
                int n = 0;
                while (slots.get(n).start() < slots.get(j).release()) {
                    n++;
                }
                dueOf[j] = n;
                dueAt.put(keys.get(j), n);
            }
            for (int n = 0; n < slots.size(); n++) {
                boolean idle = n == 0 || slots.get(n).start() > slots.get(n - 1).end();
                List<Integer> arriving = new ArrayList<>();
                List<Integer> waiting = new ArrayList<>();
                for (int j = n; j < slots.size(); j++) {
                    if (dueOf[j] == n) {
                        arriving.add(j);
                    }
                    if (dueOf[j] <= n) {
                        waiting.add(j);
                    }
                }
                if (idle) {
                    assertThat(arriving).as("round %d choice %d: the idle server's next arrival is one step", r, n)
                            .hasSize(1);
                }
                int earliest = waiting.stream().min(java.util.Comparator.comparingDouble(
                        j -> slots.get(j).release())).orElseThrow();
                if (waiting.size() > 1 && earliest != n) {
                    choicesFcfsWouldNotMake++;
                }
            }
            order.put(r, keys);
            due.put(r, dueAt);
        }

        /** A device is about to send step {@code key} of round {@code r}. */
        synchronized void send(int r, String key) throws InterruptedException {
            Integer d = due.getOrDefault(r, Map.of()).get(key);
            if (d == null) {
                problems.add("round " + r + ": " + key + " was not in the simulated round");
                return;
            }
            long until = System.nanoTime() + WAIT_NS;
            while (decided.getOrDefault(r, 0) < d) {
                if (System.nanoTime() > until) {
                    problems.add("round " + r + ": " + key + " waited in vain for choice " + d);
                    return;
                }
                wait(1000);
            }
        }

        /** Step {@code key} of round {@code r} has reached the server's worker queue. */
        synchronized void arrived(int r, String key) {
            arrived.add(r + "/" + key);
            notifyAll();
        }

        /** The server (its worker) has chosen step {@code key} and begins sending its gradient. */
        synchronized void chose(int r, String key) throws InterruptedException {
            List<String> keys = order.getOrDefault(r, List.of());
            int n = decided.getOrDefault(r, 0);
            if (n >= keys.size() || !keys.get(n).equals(key)) {
                problems.add("round " + r + " choice " + n + ": the server chose " + key + ", the simulated round "
                        + (n < keys.size() ? keys.get(n) : "nothing"));
            }
            decided.put(r, n + 1);
            notifyAll();
            String device = key.substring(0, key.lastIndexOf(':') + 1);
            long until = System.nanoTime() + WAIT_NS;
            for (Map.Entry<String, Integer> e : due.getOrDefault(r, Map.of()).entrySet()) {
                if (e.getValue() != n + 1 || e.getKey().startsWith(device)) {
                    continue;
                }
                while (!arrived.contains(r + "/" + e.getKey())) {
                    if (System.nanoTime() > until) {
                        problems.add("round " + r + ": " + e.getKey() + " did not arrive before choice " + (n + 1));
                        return;
                    }
                    wait(1000);
                }
            }
        }

        /** Around every server call: tells {@link #chose} and {@link #arrived}. */
        ServerInterceptor serverSide() {
            return new ServerInterceptor() {
                @Override
                public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                                  ServerCallHandler<Q, A> next) {
                    String id = headers.get(TokenInterceptor.DEVICE_HEADER);
                    Set<String> begun = new HashSet<>();
                    ServerCall<Q, A> watched = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                        @Override
                        public void sendMessage(A m) {
                            if (m instanceof GradientMessage g && begun.add(g.getRound() + ":" + g.getLocalStep())) {
                                try {
                                    chose(g.getRound(), id + ":" + g.getLocalStep());
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                            super.sendMessage(m);
                        }
                    };
                    Map<String, Set<String>> complete = new HashMap<>();
                    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                            next.startCall(watched, headers)) {
                        @Override
                        public void onMessage(Q m) {
                            super.onMessage(m); // the service has queued a whole step on the worker when it returns
                            if (m instanceof ActivationMessage a
                                    && a.getChunk().getChunkIndex() == a.getChunk().getChunkCount() - 1) {
                                String key = id + ":" + a.getLocalStep();
                                Set<String> names = complete.computeIfAbsent(a.getRound() + "/" + key,
                                        k -> new HashSet<>());
                                names.add(a.getChunk().getName());
                                if (names.size() == StepWire.STEP_TENSORS.size()) {
                                    arrived(a.getRound(), key);
                                }
                            }
                        }
                    };
                }
            };
        }

        /** Holds each step of device {@code id} until {@link #send} lets it go. */
        ClientInterceptor forDevice(String id) {
            return new ClientInterceptor() {
                @Override
                public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options,
                                                             Channel next) {
                    Set<String> sent = new HashSet<>();
                    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                        @Override
                        public void sendMessage(Q m) {
                            if (m instanceof ActivationMessage a && sent.add(a.getRound() + ":" + a.getLocalStep())) {
                                try {
                                    send(a.getRound(), id + ":" + a.getLocalStep());
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                    throw new IllegalStateException(e);
                                }
                            }
                            super.sendMessage(m);
                        }
                    };
                }
            };
        }
    }
}
