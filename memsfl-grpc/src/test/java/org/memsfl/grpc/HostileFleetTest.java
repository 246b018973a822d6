package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.pytorch.Scalar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.data.Batch;
import org.memsfl.engine.DType;
import org.memsfl.grpc.proto.AdaptersMessage;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.grpc.proto.GetAdaptersRequest;
import org.memsfl.grpc.proto.PutAdaptersHeader;
import org.memsfl.grpc.proto.PutAdaptersMessage;
import org.memsfl.grpc.proto.PutAdaptersReply;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import org.memsfl.settings.RoundSettings;
import org.memsfl.round.SplitDevice;
import org.memsfl.util.Json;
import org.memsfl.settings.RunSettings;

/**
 * Issue 10's "trusting device claims" row over the wire: a registered device that trains its local steps like any
 * other, then uploads adapters of 1e30 (round 1) and claims 2^62 examples (round 2), is refused INVALID_ARGUMENT and
 * left out of each round at once; the two honest devices finish both rounds, and the global adapters are finite and
 * EQUAL, bit for bit, to those of a run in which the same device registered and then stayed silent (left out at the
 * round deadline): its attacks changed nothing.
 */
class HostileFleetTest {

    @TempDir
    Path tmp;

    private static final LoraConfig LORA = new LoraConfig(4, 8, 0, List.of("q", "v"));

    private ServerDeployment settings(Path out) {
        return ServerDeployment.builder(RunSettings.builder().model("stories260K").rounds(2).localSteps(2)
                .batchSize(2).seqLen(32).partition("iid").seed(4).lora(LORA).build()).fleetSize(3).out(out).cut(2)
                .roundTimeout(Duration.ofSeconds(12)).stepTimeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void aPoisoningDeviceIsRefusedAndChangesNothing() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 60);
        Map<String, float[]> attacked = run(tmp.resolve("attacked"), data, true);
        Map<String, float[]> silent = run(tmp.resolve("silent"), data, false);
        assertThat(attacked.keySet()).containsExactlyElementsOf(silent.keySet());
        silent.forEach((k, v) -> assertThat(attacked.get(k)).as(k).containsExactly(v));
        attacked.values().forEach(v -> {
            for (float x : v) {
                assertThat(Float.isFinite(x)).isTrue();
            }
        });
    }

    private Map<String, float[]> run(Path out, Path data, boolean attack) throws Exception {
        try (InProcessFleet fleet = new InProcessFleet(settings(out), List.of("a", "b", "evil"), attack ? "attack" : "silent")) {
            ManagedChannel ch = fleet.channel();
            DeviceCredentials creds = new DeviceCredentials("evil", fleet.tokens.get("evil"));
            SplitFederationGrpc.SplitFederationBlockingStub evil = SplitFederationGrpc.newBlockingStub(ch)
                    .withCallCredentials(creds);
            Future<DeviceClient.Report> a = fleet.device("a", data.toString(), 0, null);
            Future<DeviceClient.Report> b = fleet.device("b", data.toString(), 1, null);
            Assignment asg = evil.withDeadlineAfter(30, TimeUnit.SECONDS).register(SecurityTest.request("evil", 2));
            if (attack) {
                try (LoadedModel segment = ModelResolver.resolve("stories260K", LayerRange.deviceSegment(2), DType.F32)) {
                    for (int r = 1; r <= 2; r++) {
                        Status st = poison(fleet, evil, SplitFederationGrpc.newStub(ch).withCallCredentials(creds),
                                asg, segment, r);
                        assertThat(st.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(st.getDescription()).contains(r == 1 ? "above the bound" : "num_examples must be in")
                                .contains("the round goes on without it");
                    }
                }
            }
            DeviceClient.Report ra = a.get(3, TimeUnit.MINUTES);
            DeviceClient.Report rb = b.get(3, TimeUnit.MINUTES);
            fleet.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(2));
            assertThat(ra.roundsTrained()).containsExactly(1, 2);
            assertThat(rb.roundsTrained()).containsExactly(1, 2);
            ra.finalAdapters().close();
            rb.finalAdapters().close();
            for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
                JsonNode n = Json.MAPPER.readTree(line);
                // registration order (the order of participants) is a race; two terms add the same either way
                assertThat(List.of(n.get("participants").get(0).asText(), n.get("participants").get(1).asText()))
                        .containsExactlyInAnyOrder("a", "b");
                assertThat(n.get("participants")).hasSize(2);
                assertThat(n.get("dropped").toString()).isEqualTo("[\"evil\"]");
                assertThat(n.get("eval_loss").isNull() || Double.isFinite(n.get("eval_loss").asDouble())).isTrue();
            }
            try (AdapterSet g = fleet.server.globalAdapters()) {
                return EndToEndTest.values(g);
            }
        }
    }

    /** One round of the hostile device: real local steps over a Train stream, then a poisoned upload. */
    private static Status poison(InProcessFleet fleet, SplitFederationGrpc.SplitFederationBlockingStub evil,
                                 SplitFederationGrpc.SplitFederationStub async, Assignment asg, LoadedModel segment,
                                 int round) throws Exception {
        TensorCodec codec = new TensorCodec(asg.getMaxChunkBytes(), TensorCodec.DEFAULT_MAX_TENSOR_BYTES);
        Iterator<AdaptersMessage> it = evil.withDeadlineAfter(60, TimeUnit.SECONDS)
                .getAdapters(GetAdaptersRequest.newBuilder().setRound(round).build());
        AdaptersMessage first = it.next();
        assertThat(first.getHeader().getRound()).isEqualTo(round);
        List<String> keys = AdapterWire.deviceKeys(LORA, 2);
        TensorGroup group = new TensorGroup(codec, "adapters", first.getHeader().getTensorCount(), null);
        it.forEachRemaining(m -> group.accept(m.getChunk()));
        AdapterSet start = AdapterWire.decode(group.requireComplete(), LORA, segment.config(), keys);
        RoundSettings rs = new RoundSettings(asg.getRounds(), asg.getLocalSteps(), asg.getLr(), asg.getWarmupSteps(),
                asg.getMaxGradNorm(), asg.getSeed());
        SplittableRandom rng = new SplittableRandom(round);
        try (SplitDevice d = new SplitDevice("evil", 2, segment.model(), start, rs);
             StepStream stream = new StepStream(async.withDeadlineAfter(60, TimeUnit.SECONDS), codec, org.memsfl.split.WireFormat.FP32, round,
                     30_000, new AtomicLong(), new AtomicLong())) {
            d.beginRound(round, d.adapters());
            for (int k = 1; k <= asg.getLocalSteps(); k++) {
                int step = k;
                d.localStep(batch(rng), p -> stream.exchange(step, p));
            }
            stream.finish();
            long claimed = 10;
            if (round == 1) {
                d.adapters().toTensorMap().values().forEach(t -> t.add_(new Scalar(1e30)));
            } else {
                claimed = 1L << 62;
            }
            return upload(async, codec, d.adapters(), round, claimed);
        }
    }

    private static Batch batch(SplittableRandom rng) {
        long[] ids = new long[2 * 16];
        long[] tg = new long[2 * 16];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(512);
            tg[i] = rng.nextInt(512);
        }
        return new Batch(ids, tg, new int[] {16, 16}, 2, 16);
    }

    private static Status upload(SplitFederationGrpc.SplitFederationStub async, TensorCodec codec, AdapterSet adapters,
                                 int round, long claimed) throws Exception {
        List<TensorChunk> chunks = AdapterWire.encode(codec, adapters);
        CompletableFuture<PutAdaptersReply> reply = new CompletableFuture<>();
        StreamObserver<PutAdaptersMessage> up = async.withDeadlineAfter(30, TimeUnit.SECONDS)
                .putAdapters(new StreamObserver<>() {
                    @Override
                    public void onNext(PutAdaptersReply v) {
                        reply.complete(v);
                    }

                    @Override
                    public void onError(Throwable t) {
                        reply.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        up.onNext(PutAdaptersMessage.newBuilder().setHeader(PutAdaptersHeader.newBuilder().setRound(round)
                .setNumExamples(claimed).setTensorCount((int) chunks.stream().filter(c -> c.getChunkIndex() == 0)
                        .count())).build());
        chunks.forEach(c -> up.onNext(PutAdaptersMessage.newBuilder().setChunk(c).build()));
        up.onCompleted();
        try {
            reply.get(30, TimeUnit.SECONDS);
            return Status.OK;
        } catch (java.util.concurrent.ExecutionException e) {
            return Status.fromThrowable(e.getCause());
        }
    }
}
