package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
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
 * <p>Over gRPC the arrival order is thread timing; a client interceptor lets each device send a step only when it is
 * that step's turn in the order the in-process dispatcher recorded, and only after the previous step's gradient came
 * back. So both transports see the same arrivals, and the same dispatcher must then serve, and record, the same order.
 *
 * <p>The edge server also evaluates the final round by generation, with the simulator's {@code TaskEvaluator} on
 * each device's held-out prompts: its predictions.jsonl and metrics.json must hold what the simulator's code gives
 * on the in-process adapters.
 */
class OneRoundTwoTransportsTest {

    static final LoraConfig LORA = new LoraConfig(4, 8, 0, List.of("q", "v"));
    static final String SCHEDULER = "exact";

    @TempDir
    Path tmp;

    @Test
    void inProcessAndGrpcDriveTheSameRound() throws Exception {
        Fleet paper = Fleets.preset("paper-5");
        List<DeviceProfile> devices = List.of(paper.devices().get(0), paper.devices().get(2), paper.devices().get(4));
        String late = devices.get(2).id();
        Fleet fleet = new Fleet("grpc-3", devices, paper.server());
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
        try (SimContext ctx = new SimContext(sim);
             SplitFederatedMethod m = new SplitFederatedMethod(SplitFederatedMethod.Variant.MEMSFL, ctx,
                     Aggregators.of("fedavg"), Policies.of(SCHEDULER))) {
            m.leaveOut(late, 1);
            for (int r = 1; r <= 2; r++) {
                RoundOutcome o = m.round(r);
                expectedOrder.put(r, o.serveOrder());
                assertThat(o.participants()).as("round " + r).hasSize(r == 1 ? 2 : 3);
            }
            expected = EndToEndTest.values(m.globalAdapters());
            expectedTask = TaskEvaluator.evaluate(ctx.loaded().model(), m.globalAdapters(), ctx.loaded().requireTokenizer(),
                    ctx.encoder(), ctx.datasetName(), ctx.heldOutByDevice(2), generation.settings());
        }
        assertThat(expectedOrder.get(1)).hasSize(2 * 2).noneMatch(x -> x.startsWith(late + ":"));
        assertThat(expectedOrder.get(2)).hasSize(3 * 2);

        // over gRPC (in-process transport): the late device registers, stays silent in round 1, rejoins at round 2
        Path out = tmp.resolve("server");
        ServerDeployment settings = ServerDeployment.builder(sim).fleetSize(3).out(out).evalData(data)
                .roundTimeout(Duration.ofSeconds(60)).generation(generation).build();
        Turnstile turnstile = new Turnstile(expectedOrder);
        ExecutorService pool = Executors.newCachedThreadPool();
        List<ManagedChannel> channels = new ArrayList<>();
        try (InProcessFleet f = new InProcessFleet(settings, devices.stream().map(DeviceProfile::id).toList(), "2t")) {
            List<Future<DeviceClient.Report>> reports = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                reports.add(start(f, devices.get(i), data, i, turnstile, pool, channels));
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
            reports.add(start(f, devices.get(2), data, 2, turnstile, pool, channels));
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
                                                     Turnstile t, ExecutorService pool, List<ManagedChannel> channels) {
        ManagedChannel ch = InProcessChannelBuilder.forName(f.name).build();
        channels.add(ch);
        Channel gated = ClientInterceptors.intercept(ch, t.forDevice(d.id()));
        DeviceSettings ds = DeviceSettings.of(d, data, partition, null);
        return pool.submit(() -> new DeviceClient(ds, gated, f.tokens.get(d.id()), f.logger).run());
    }

    /** Lets steps reach the server one at a time, in a given order per round. */
    static final class Turnstile {
        private final Map<Integer, List<String>> order;
        private final Map<Integer, Integer> next = new HashMap<>();

        Turnstile(Map<Integer, List<String>> order) {
            this.order = order;
        }

        private String turn(int round) {
            List<String> o = order.getOrDefault(round, List.of());
            int i = next.getOrDefault(round, 0);
            return i < o.size() ? o.get(i) : null;
        }

        synchronized void await(int round, String step) throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!step.equals(turn(round))) {
                if (System.nanoTime() > until) {
                    throw new AssertionError(step + " of round " + round + " never got its turn (waiting for "
                            + turn(round) + ")");
                }
                wait(1000);
            }
        }

        synchronized void done(int round, String step) {
            if (step.equals(turn(round))) {
                next.merge(round, 1, Integer::sum);
                notifyAll();
            }
        }

        ClientInterceptor forDevice(String id) {
            return new ClientInterceptor() {
                @Override
                public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options,
                                                             Channel next) {
                    Set<String> sent = new HashSet<>();
                    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                        @Override
                        public void start(Listener<A> listener, Metadata headers) {
                            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                                @Override
                                public void onMessage(A m) {
                                    if (m instanceof GradientMessage g
                                            && g.getChunk().getChunkIndex() == g.getChunk().getChunkCount() - 1) {
                                        done(g.getRound(), id + ":" + g.getLocalStep());
                                    }
                                    super.onMessage(m);
                                }
                            }, headers);
                        }

                        @Override
                        public void sendMessage(Q m) {
                            if (m instanceof ActivationMessage a && sent.add(a.getRound() + ":" + a.getLocalStep())) {
                                try {
                                    await(a.getRound(), id + ":" + a.getLocalStep());
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
