package org.memsfl.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.pytorch.Scalar;
import org.memsfl.data.Batch;
import org.memsfl.engine.DType;
import org.memsfl.grpc.proto.ActivationMessage;
import org.memsfl.grpc.proto.AdaptersMessage;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.grpc.proto.GetAdaptersRequest;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.grpc.proto.WireDType;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import org.memsfl.settings.RoundSettings;
import org.memsfl.round.SplitDevice;

/**
 * Hostile clients of issue 10, written with the project's own wire code so that each attack is exactly what the
 * server would see from a modified device (for tests in this module and, through its test jar, the multi-process
 * tests of memsfl-cli). Every method returns the gRPC status codes the server answered, counted by code.
 */
public final class HostileClients {

    private final Channel channel;
    private final String id;
    private final DeviceCredentials creds;

    /** A client of {@code channel} that authenticates as {@code id} with {@code token}. */
    public HostileClients(Channel channel, String id, String token) {
        this.channel = channel;
        this.id = id;
        this.creds = new DeviceCredentials(id, token);
    }

    private SplitFederationGrpc.SplitFederationBlockingStub blocking() {
        return SplitFederationGrpc.newBlockingStub(channel).withCallCredentials(creds).withDeadlineAfter(60,
                TimeUnit.SECONDS);
    }

    private SplitFederationGrpc.SplitFederationStub async() {
        return SplitFederationGrpc.newStub(channel).withCallCredentials(creds);
    }

    /** A registration with {@code memsfl device}'s default profile but {@code flopsPerSecond} (4.9e-324: beyond the delay model). */
    public Assignment register(int partition, double flopsPerSecond) {
        return blocking().register(RegisterRequest.newBuilder().setDeviceId(id).setPartitionIndex(partition)
                .setProtocolVersion(1).setProfile(org.memsfl.grpc.proto.DeviceProfile.newBuilder()
                        .setMemoryBudgetBytes(2L << 30).setFlopsPerSecond(flopsPerSecond).setUplinkBytesPerSecond(2.5e6)
                        .setDownlinkBytesPerSecond(12.5e6).setLatencySeconds(0.03)).build());
    }

    /** The answer to a call: OK when it returned. */
    public static Status status(Runnable call) {
        try {
            call.run();
            return Status.OK;
        } catch (RuntimeException e) {
            return Status.fromThrowable(e);
        }
    }

    /**
     * Declared-size amplification: {@code streams} Train streams, each with one first chunk that declares a
     * {@code (65536, 65536)} float32 hidden state (16 GiB) and carries 1 KiB; waits for every answer.
     */
    public Map<Status.Code, Integer> amplify(int streams, int round) throws InterruptedException {
        Map<Status.Code, Integer> codes = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(streams);
        for (int i = 0; i < streams; i++) {
            StreamObserver<ActivationMessage> up = async().withDeadlineAfter(60, TimeUnit.SECONDS)
                    .train(answer(codes, done));
            long bytes = 65536L * 65536L * 4;
            up.onNext(ActivationMessage.newBuilder().setRound(round).setLocalStep(1).setSeq(0)
                    .setChunk(TensorChunk.newBuilder().setName("hidden").setDtype(WireDType.FLOAT32)
                            .addShape(65536).addShape(65536).setChunkIndex(0).setChunkCount((int) (bytes / 1024))
                            .setTensorBytes(bytes).setData(ByteString.copyFrom(new byte[1024]))).build());
        }
        done.await(90, TimeUnit.SECONDS);
        return new TreeMap<>(codes);
    }

    /** {@code streams} Train streams that send nothing; waits for every answer (the idle limit closes them). */
    public Map<Status.Code, Integer> idleStreams(int streams) throws InterruptedException {
        Map<Status.Code, Integer> codes = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(streams);
        for (int i = 0; i < streams; i++) {
            async().withDeadlineAfter(90, TimeUnit.SECONDS).train(answer(codes, done));
        }
        done.await(100, TimeUnit.SECONDS);
        return new TreeMap<>(codes);
    }

    /** A flood of {@code n} GetAdapters calls, one after the other, for a round that does not exist. */
    public Map<Status.Code, Integer> flood(int n) {
        Map<Status.Code, Integer> codes = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            Status.Code c = status(() -> blocking().getAdapters(GetAdaptersRequest.newBuilder().setRound(1 << 30).build())
                    .forEachRemaining(m -> { })).getCode();
            codes.merge(c, 1, Integer::sum);
        }
        return codes;
    }

    private static <T> StreamObserver<T> answer(Map<Status.Code, Integer> codes, CountDownLatch done) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T v) {
            }

            @Override
            public void onError(Throwable t) {
                codes.merge(Status.fromThrowable(t).getCode(), 1, Integer::sum);
                done.countDown();
            }

            @Override
            public void onCompleted() {
                codes.merge(Status.Code.OK, 1, Integer::sum);
                done.countDown();
            }
        };
    }

    /**
     * One round of a poisoning device: it fetches the round's adapters, runs its local steps for real over a Train
     * stream (random tokens), then uploads its adapters plus {@code shift} claiming {@code claimed} examples.
     *
     * @return the upload's answer
     */
    public Status poison(Assignment asg, LoraConfig lora, int round, double shift, long claimed) throws Exception {
        int cut = asg.getCutLayer();
        TensorCodec codec = new TensorCodec(asg.getMaxChunkBytes(), TensorCodec.DEFAULT_MAX_TENSOR_BYTES);
        try (LoadedModel segment = ModelResolver.resolve(asg.getModelSpec(), LayerRange.deviceSegment(cut), DType.F32)) {
            Iterator<AdaptersMessage> it = blocking().getAdapters(GetAdaptersRequest.newBuilder().setRound(round).build());
            AdaptersMessage first = it.next();
            List<String> keys = AdapterWire.deviceKeys(lora, cut);
            TensorGroup group = new TensorGroup(codec, "adapters", first.getHeader().getTensorCount(), null);
            it.forEachRemaining(m -> group.accept(m.getChunk()));
            AdapterSet start = AdapterWire.decode(group.requireComplete(), lora, segment.config(), keys);
            RoundSettings rs = new RoundSettings(asg.getRounds(), asg.getLocalSteps(), asg.getLr(),
                    asg.getWarmupSteps(), asg.getMaxGradNorm(), asg.getSeed());
            SplittableRandom rng = new SplittableRandom(round);
            try (SplitDevice d = new SplitDevice(id, cut, segment.model(), start, rs);
                 StepStream stream = new StepStream(async().withDeadlineAfter(60, TimeUnit.SECONDS), codec,
                         org.memsfl.split.WireFormat.FP32, round, 30_000, new AtomicLong(), new AtomicLong())) {
                d.beginRound(round, d.adapters());
                for (int k = 1; k <= asg.getLocalSteps(); k++) {
                    int step = k;
                    d.localStep(batch(rng, asg.getBatchSize(), Math.min(16, asg.getSeqLen())),
                            p -> stream.exchange(step, p));
                }
                stream.finish();
                if (shift != 0) {
                    d.adapters().toTensorMap().values().forEach(t -> t.add_(new Scalar(shift)));
                }
                return upload(codec, d.adapters(), round, claimed);
            }
        }
    }

    private static Batch batch(SplittableRandom rng, int b, int t) {
        long[] ids = new long[b * t];
        long[] tg = new long[b * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(512);
            tg[i] = rng.nextInt(512);
        }
        int[] lengths = new int[b];
        java.util.Arrays.fill(lengths, t);
        return new Batch(ids, tg, lengths, b, t);
    }

    private Status upload(TensorCodec codec, AdapterSet adapters, int round, long claimed) throws Exception {
        List<TensorChunk> chunks = AdapterWire.encode(codec, adapters);
        CompletableFuture<Object> reply = new CompletableFuture<>();
        var up = async().withDeadlineAfter(30, TimeUnit.SECONDS).putAdapters(new StreamObserver<>() {
            @Override
            public void onNext(org.memsfl.grpc.proto.PutAdaptersReply v) {
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
        up.onNext(org.memsfl.grpc.proto.PutAdaptersMessage.newBuilder().setHeader(
                org.memsfl.grpc.proto.PutAdaptersHeader.newBuilder().setRound(round).setNumExamples(claimed)
                        .setTensorCount((int) chunks.stream().filter(c -> c.getChunkIndex() == 0).count())).build());
        List<TensorChunk> all = new ArrayList<>(chunks);
        all.forEach(c -> up.onNext(org.memsfl.grpc.proto.PutAdaptersMessage.newBuilder().setChunk(c).build()));
        up.onCompleted();
        try {
            reply.get(30, TimeUnit.SECONDS);
            return Status.OK;
        } catch (java.util.concurrent.ExecutionException e) {
            return Status.fromThrowable(e.getCause());
        }
    }
}
