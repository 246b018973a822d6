package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.grpc.proto.ActivationMessage;
import org.memsfl.grpc.proto.AdaptersMessage;
import org.memsfl.grpc.proto.GetAdaptersRequest;
import org.memsfl.grpc.proto.GradientMessage;
import org.memsfl.grpc.proto.PutAdaptersHeader;
import org.memsfl.grpc.proto.PutAdaptersMessage;
import org.memsfl.grpc.proto.PutAdaptersReply;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.RunSettings;

/**
 * Every kind of bad activation or upload gets its own status and description, ends only the offending call, and the
 * server goes on to serve a good step right after.
 */
class HostileInputTest {

    @TempDir
    static Path tmp;

    static EdgeServer server;
    static ManagedChannel channel;
    static final String TOKEN = "token-of-d0-0123456789";
    static final String TOKEN_D1 = "token-of-d1-0123456789"; // a token holder that never registers
    static final int B = 2;
    static final int T = 8;
    static final int DIM = 64;        // stories260K
    static final TensorCodec CODEC = new TensorCodec(4096, TensorCodec.DEFAULT_MAX_TENSOR_BYTES);

    @BeforeAll
    static void start() {
        String name = InProcessServerBuilder.generateName();
        ServerDeployment s = ServerDeployment.builder(RunSettings.builder().model("stories260K")
                .lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).batchSize(B).seqLen(16).localSteps(3).rounds(1)
                .build()).fleetSize(1).out(tmp.resolve("out")).cut(2).maxChunkBytes(4096).build();
        server = EdgeServer.startInProcess(s, DeviceTokens.of(Map.of("d0", TOKEN, "d1", TOKEN_D1)), name,
                line -> System.err.println("[hostile] " + line));
        channel = InProcessChannelBuilder.forName(name).build();
        SplitFederationGrpc.SplitFederationBlockingStub stub = blocking();
        stub.register(SecurityTest.request("d0", 0));
        Iterator<AdaptersMessage> it = stub.getAdapters(GetAdaptersRequest.newBuilder().setRound(1).build());
        it.forEachRemaining(m -> { });
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        server.close();
    }

    static SplitFederationGrpc.SplitFederationBlockingStub blocking() {
        return SplitFederationGrpc.newBlockingStub(channel).withCallCredentials(new DeviceCredentials("d0", TOKEN))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** The three tensors of a valid step, as chunk lists (targets, lengths, hidden). */
    static List<TensorChunk> validStep(float fill) {
        SplittableRandom r = new SplittableRandom(5);
        float[] h = new float[B * T * DIM];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) r.nextGaussian() + fill;
        }
        long[] y = new long[B * T];
        for (int i = 0; i < y.length; i++) {
            y[i] = i % 3 == 0 ? -100 : r.nextInt(512);
        }
        List<TensorChunk> out = new ArrayList<>();
        try (Tensor targets = Tensors.fromLongs(y, B, T); Tensor hidden = Tensors.fromFloats(h, B, T, DIM)) {
            out.addAll(CODEC.encode("targets", targets, DType.I64));
            out.addAll(CODEC.encodeInts("lengths", new int[] {T, T - 2}));
            out.addAll(CODEC.encode("hidden", hidden, DType.F32));
        }
        return out;
    }

    /** Sends messages on a fresh Train stream, half-closes, and returns the replies or the error. */
    static CompletableFuture<List<GradientMessage>> train(List<ActivationMessage> msgs) {
        return train(msgs, new DeviceCredentials("d0", TOKEN));
    }

    static CompletableFuture<List<GradientMessage>> train(List<ActivationMessage> msgs, DeviceCredentials as) {
        CompletableFuture<List<GradientMessage>> done = new CompletableFuture<>();
        List<GradientMessage> got = new ArrayList<>();
        StreamObserver<ActivationMessage> req = SplitFederationGrpc.newStub(channel)
                .withCallCredentials(as).withDeadlineAfter(30, TimeUnit.SECONDS)
                .train(new StreamObserver<>() {
                    @Override
                    public void onNext(GradientMessage m) {
                        got.add(m);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(got);
                    }
                });
        msgs.forEach(req::onNext);
        req.onCompleted();
        return done;
    }

    static List<ActivationMessage> messages(int round, int step, List<TensorChunk> chunks) {
        List<ActivationMessage> out = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            out.add(ActivationMessage.newBuilder().setRound(round).setLocalStep(step).setSeq(i).setChunk(chunks.get(i))
                    .build());
        }
        return out;
    }

    static Status refusal(List<ActivationMessage> msgs) {
        try {
            train(msgs).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return Status.fromThrowable(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the server accepted the stream");
    }

    static void assertRefused(List<ActivationMessage> msgs, Status.Code code, String fragment) {
        Status st = refusal(msgs);
        assertThat(st.getCode()).as(st.toString()).isEqualTo(code);
        assertThat(st.getDescription()).contains(fragment);
    }

    /** The step with the chunk named {@code tensor} (its first chunk) replaced. */
    static List<TensorChunk> tampered(String tensor, UnaryOperator<TensorChunk> f) {
        List<TensorChunk> out = new ArrayList<>(validStep(0));
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).getName().equals(tensor)) {
                out.set(i, f.apply(out.get(i)));
                break;
            }
        }
        return out;
    }

    @Test
    void hostileActivationsAreRefusedAndTheServerKeepsServing() throws Exception {
        // a lost or repeated message
        List<ActivationMessage> gap = new ArrayList<>(messages(1, 1, validStep(0)));
        gap.set(1, gap.get(1).toBuilder().setSeq(5).build());
        assertRefused(gap, Status.Code.INVALID_ARGUMENT, "seq 5 where 1 was expected");
        // NaN in the activations
        List<TensorChunk> nan = validStep(Float.NaN);
        assertRefused(messages(1, 1, nan), Status.Code.INVALID_ARGUMENT, "NaN or Inf");
        // wrong hidden size (dim 32 instead of 64)
        List<TensorChunk> narrow = new ArrayList<>(validStep(0).subList(0, 2));
        try (Tensor h = Tensors.zeros(org.bytedeco.pytorch.global.torch.ScalarType.Float, B, T, 32)) {
            narrow.addAll(CODEC.encode("hidden", h, DType.F32));
        }
        assertRefused(messages(1, 1, narrow), Status.Code.INVALID_ARGUMENT, "expected [2, 8, 64]");
        // a dtype other than the assignment's wire dtype
        List<TensorChunk> half = new ArrayList<>(validStep(0).subList(0, 2));
        try (Tensor h = Tensors.zeros(org.bytedeco.pytorch.global.torch.ScalarType.Float, B, T, DIM)) {
            half.addAll(CODEC.encode("hidden", h, DType.BF16));
        }
        assertRefused(messages(1, 1, half), Status.Code.INVALID_ARGUMENT, "has dtype BF16");
        // a token id past the vocabulary would crash a native kernel if it got through
        List<TensorChunk> badIds = new ArrayList<>();
        try (Tensor y = Tensors.fromLongs(new long[B * T], B, T)) {
            long[] ids = new long[B * T];
            ids[3] = 99_999;
            try (Tensor yy = Tensors.fromLongs(ids, B, T)) {
                badIds.addAll(CODEC.encode("targets", yy, DType.I64));
            }
        }
        badIds.addAll(validStep(0).subList(1, validStep(0).size()));
        assertRefused(messages(1, 1, badIds), Status.Code.INVALID_ARGUMENT, "token id 99999");
        // an oversize chunk (the assignment's cap is 4096 bytes)
        assertRefused(messages(1, 1, tampered("hidden", c -> c.toBuilder()
                .setData(c.getData().concat(ByteString.copyFrom(new byte[8]))).build())),
                Status.Code.INVALID_ARGUMENT, "above the 4096-byte chunk limit");
        // a truncated step: the stream ends before the hidden tensor is complete
        List<TensorChunk> cut = validStep(0);
        assertRefused(messages(1, 1, cut.subList(0, cut.size() - 1)), Status.Code.INVALID_ARGUMENT, "truncated");
        // an unknown tensor name
        assertRefused(messages(1, 1, tampered("lengths", c -> c.toBuilder().setName("labels").build())),
                Status.Code.INVALID_ARGUMENT, "unexpected tensor 'labels'");
        // a declared shape beyond what the assignment allows is refused before anything is buffered
        assertRefused(messages(1, 1, tampered("hidden", c -> c.toBuilder().setShape(1, 100_000).build())),
                Status.Code.INVALID_ARGUMENT, "the assignment allows at most [2, 16, 64]");
        // a token holder that never registered gets nothing assembled
        try {
            train(messages(1, 1, validStep(0)), new DeviceCredentials("d1", TOKEN_D1)).get(30, TimeUnit.SECONDS);
            throw new AssertionError("accepted");
        } catch (java.util.concurrent.ExecutionException e) {
            Status st = Status.fromThrowable(e.getCause());
            assertThat(st.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(st.getDescription()).isEqualTo("device d1 has not registered");
        }
        // a stale round and a step out of order
        assertRefused(messages(2, 1, validStep(0)), Status.Code.FAILED_PRECONDITION, "stale activations of round 2");
        assertRefused(messages(1, 2, validStep(0)), Status.Code.FAILED_PRECONDITION, "expects step 1");
        // an upload before the local steps are done, and one whose header announces what the cut does not hold
        assertUploadRefused(Status.Code.FAILED_PRECONDITION, "after 0 of 3 local steps", false);
        assertUploadRefused(Status.Code.INVALID_ARGUMENT, "announces 1 tensors; the device's cut holds 8", true);

        // after all that, a good step is served as usual
        List<GradientMessage> grads = train(messages(1, 1, validStep(0))).get(30, TimeUnit.SECONDS);
        assertThat(grads).isNotEmpty();
        TensorAssembler a = CODEC.assembler();
        TensorCodec.Decoded g = null;
        for (GradientMessage m : grads) {
            assertThat(m.getLocalStep()).isEqualTo(1);
            g = a.accept(m.getChunk());
        }
        assertThat(g).isNotNull();
        assertThat(g.shape()).containsExactly(B, T, DIM);
        assertThat(grads.get(0).getLossNats()).isPositive();
        assertThat(grads.get(0).getTargetTokens()).isEqualTo(countTargets());
    }

    private static long countTargets() {
        long n = 0;
        for (int i = 0; i < B * T; i++) {
            if (i % 3 != 0) {
                n++;
            }
        }
        return n;
    }

    /** @param oneTensor announce and send only the first tensor (else the whole, well-shaped device side of cut 2) */
    private static void assertUploadRefused(Status.Code code, String fragment, boolean oneTensor) throws Exception {
        CompletableFuture<PutAdaptersReply> reply = new CompletableFuture<>();
        StreamObserver<PutAdaptersMessage> up = SplitFederationGrpc.newStub(channel)
                .withCallCredentials(new DeviceCredentials("d0", TOKEN)).withDeadlineAfter(30, TimeUnit.SECONDS)
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
        List<TensorChunk> chunks;
        org.memsfl.model.ModelConfig config = org.memsfl.model.ModelResolver.resolveConfig("stories260K");
        try (org.memsfl.lora.AdapterSet all = org.memsfl.lora.AdapterSet.init(config,
                new LoraConfig(4, 8, 0, List.of("q", "v")), org.memsfl.model.LayerRange.all(config.nLayers()), 1)) {
            chunks = AdapterWire.encode(CODEC, all.slice(0, 2, true)); // the device side of cut 2 (a view)
        }
        int count = (int) chunks.stream().filter(c -> c.getChunkIndex() == 0).count();
        if (oneTensor) {
            String first = chunks.get(0).getName();
            chunks = chunks.stream().filter(c -> c.getName().equals(first)).toList();
            count = 1;
        }
        up.onNext(PutAdaptersMessage.newBuilder().setHeader(PutAdaptersHeader.newBuilder().setRound(1).setNumExamples(10)
                .setTensorCount(count)).build());
        chunks.forEach(c -> up.onNext(PutAdaptersMessage.newBuilder().setChunk(c).build()));
        up.onCompleted();
        try {
            reply.get(30, TimeUnit.SECONDS);
            throw new AssertionError("upload accepted");
        } catch (java.util.concurrent.ExecutionException e) {
            Status st = Status.fromThrowable(e.getCause());
            assertThat(st.getCode()).isEqualTo(code);
            assertThat(st.getDescription()).contains(fragment);
        }
    }
}
