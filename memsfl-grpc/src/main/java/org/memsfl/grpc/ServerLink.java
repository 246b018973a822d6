package org.memsfl.grpc;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.memsfl.grpc.proto.AdaptersHeader;
import org.memsfl.grpc.proto.AdaptersMessage;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.grpc.proto.GetAdaptersRequest;
import org.memsfl.grpc.proto.PutAdaptersHeader;
import org.memsfl.grpc.proto.PutAdaptersMessage;
import org.memsfl.grpc.proto.PutAdaptersReply;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.ModelConfig;
import org.memsfl.util.ProcessMemory;

/**
 * A device's calls to its edge server, and nothing else: Register, GetAdapters (asked again with short deadlines
 * until a round opens), one Train stream per round ({@link StepStream}) and PutAdapters, each with its deadline,
 * counting the bytes each way. Protos stay here: the device reads a {@link DeviceAssignment} and {@link AdapterSet}s.
 * After {@link #register} the link speaks with the limits the server assigned (chunk size, wire dtype, timeouts).
 */
final class ServerLink {

    /** Errors after which the server is gone for now: the device redoes the round once the server is back. */
    static final Set<Status.Code> SERVER_LOST = Set.of(Status.Code.UNAVAILABLE, Status.Code.CANCELLED,
            Status.Code.UNKNOWN);

    /** A round's adapters as fetched: the round they start, or the final ones ({@code finished}). */
    record Fetched(int round, boolean finished, AdapterSet adapters) {
    }

    private final DeviceSettings s;
    private final SplitFederationGrpc.SplitFederationBlockingStub blocking;
    private final SplitFederationGrpc.SplitFederationStub async;
    private final Consumer<String> log;
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private DeviceAssignment assignment; // set by register
    private TensorCodec codec;

    ServerLink(DeviceSettings s, Channel channel, String token, Consumer<String> log) {
        this.s = s;
        DeviceCredentials creds = new DeviceCredentials(s.deviceId(), token);
        this.blocking = SplitFederationGrpc.newBlockingStub(channel).withCallCredentials(creds);
        this.async = SplitFederationGrpc.newStub(channel).withCallCredentials(creds);
        this.log = log;
    }

    long bytesUp() {
        return bytesUp.get();
    }

    long bytesDown() {
        return bytesDown.get();
    }

    /**
     * Register, waiting for a server that is not up yet (wait-for-ready, within the call timeout).
     *
     * @throws org.memsfl.util.BadInputException when the assignment is not one this device can train with
     */
    DeviceAssignment register(DeviceRegistration r) {
        RegisterRequest req = RegistrationCodec.toProto(r);
        bytesUp.addAndGet(req.getSerializedSize());
        Assignment a = blocking.withWaitForReady().withDeadlineAfter(s.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .register(req);
        bytesDown.addAndGet(a.getSerializedSize());
        assignment = RegistrationCodec.assignment(a);
        codec = new TensorCodec(assignment.terms().maxChunkBytes(), TensorCodec.DEFAULT_MAX_TENSOR_BYTES);
        return assignment;
    }

    /** One Train stream for round {@code r}, within the assigned round and step timeouts. */
    StepStream steps(int r) {
        TrainingTerms t = assignment.terms();
        return new StepStream(async.withDeadlineAfter(t.roundTimeout().toMillis(), TimeUnit.MILLISECONDS), codec,
                t.wire(), r, t.stepTimeout().toMillis(), bytesUp, bytesDown);
    }

    /**
     * GetAdapters for {@code round}, asked again with short deadlines until the round opens or the join timeout.
     *
     * @param model the device's model config (the adapters' shapes)
     * @throws RunStopped when the server stopped training early
     */
    Fetched fetch(int round, ModelConfig model) {
        long until = System.nanoTime() + s.joinTimeout().toNanos();
        boolean told = false;
        while (true) {
            try {
                Iterator<AdaptersMessage> it = blocking.withWaitForReady()
                        .withDeadlineAfter(s.pollTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .getAdapters(GetAdaptersRequest.newBuilder().setRound(round).build());
                AdaptersMessage first = it.next();
                bytesDown.addAndGet(first.getSerializedSize());
                if (!first.hasHeader()) {
                    throw TensorCodec.invalid("adapter stream without a header");
                }
                AdaptersHeader h = first.getHeader();
                if (!h.getStopped().isEmpty()) {
                    // final: the fleet will not train on, and retrying would only wait out the join timeout
                    throw new RunStopped("the server stopped training: " + h.getStopped());
                }
                List<String> keys = AdapterWire.deviceKeys(assignment.terms().lora(), assignment.cut());
                TensorGroup group = new TensorGroup(codec, "adapters of round " + h.getRound(), h.getTensorCount(),
                        AdapterWire.tensorNames(keys));
                while (it.hasNext()) {
                    AdaptersMessage m = it.next();
                    bytesDown.addAndGet(m.getSerializedSize());
                    group.accept(m.getChunk());
                }
                AdapterSet set = AdapterWire.decode(group.requireComplete(), assignment.terms().lora(), model, keys);
                if (!h.getTrainingFinished()) {
                    log.accept("round " + h.getRound() + "/" + assignment.terms().round().rounds() + " starts");
                }
                return new Fetched(h.getRound(), h.getTrainingFinished(), set);
            } catch (StatusRuntimeException e) {
                Status.Code c = e.getStatus().getCode();
                boolean retry = c == Status.Code.DEADLINE_EXCEEDED || SERVER_LOST.contains(c);
                if (!retry || System.nanoTime() > until) {
                    throw e;
                }
                if (!told) {
                    log.accept("waiting for round " + round + " to open (" + c + ")");
                    told = true;
                }
                if (c != Status.Code.DEADLINE_EXCEEDED) {
                    sleep(1000);
                }
            }
        }
    }

    /**
     * PutAdapters of round {@code r}: the device's adapters after its local steps, with its FedAvg weight and memory.
     *
     * @throws StatusRuntimeException FAILED_PRECONDITION when the server did not accept the upload
     */
    void upload(int r, AdapterSet adapters, long numExamples, long rssBefore, double seconds) {
        List<TensorChunk> chunks = AdapterWire.encode(codec, adapters);
        int count = (int) chunks.stream().filter(c -> c.getChunkIndex() == 0).count();
        CompletableFuture<PutAdaptersReply> reply = new CompletableFuture<>();
        StreamObserver<PutAdaptersMessage> up = async.withDeadlineAfter(s.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .putAdapters(new StreamObserver<>() {
                    @Override
                    public void onNext(PutAdaptersReply v) {
                        bytesDown.addAndGet(v.getSerializedSize());
                        reply.complete(v);
                    }

                    @Override
                    public void onError(Throwable t) {
                        reply.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        reply.complete(null);
                    }
                });
        PutAdaptersHeader h = PutAdaptersHeader.newBuilder().setRound(r).setNumExamples(numExamples)
                .setTensorCount(count).setPeakRssBytes(ProcessMemory.peakRssBytes())
                .setRssBeforeModelBytes(rssBefore).setRoundSeconds(seconds).build();
        send(up, PutAdaptersMessage.newBuilder().setHeader(h).build());
        for (TensorChunk c : chunks) {
            send(up, PutAdaptersMessage.newBuilder().setChunk(c).build());
        }
        up.onCompleted();
        PutAdaptersReply got = await(reply, "upload of round " + r);
        if (got == null || !got.getAccepted()) {
            throw Status.FAILED_PRECONDITION.withDescription("the server did not accept the upload of round " + r)
                    .asRuntimeException();
        }
    }

    private void send(StreamObserver<PutAdaptersMessage> up, PutAdaptersMessage m) {
        bytesUp.addAndGet(m.getSerializedSize());
        up.onNext(m);
    }

    private <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(s.callTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted during " + what).asRuntimeException();
        } catch (ExecutionException e) {
            throw Status.fromThrowable(e.getCause()).asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription(what + " timed out").asRuntimeException();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }
}
