package org.memsfl.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;
import org.memsfl.split.WireFormat;
import org.memsfl.engine.Tensors;
import org.memsfl.grpc.proto.ActivationMessage;
import org.memsfl.grpc.proto.GradientMessage;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.GradientPayload;

/**
 * A device's side of one round's Train stream: {@link #exchange} is the function {@code DeviceSegment.localStep}
 * calls in place of the simulator's in-process {@code server.process}. It sends the step's activations in chunks and
 * blocks until the gradient has arrived whole (or the step timeout passes).
 */
final class StepStream implements AutoCloseable {

    private static final Object END = new Object();

    /** A whole gradient as received. */
    private record Grad(int step, TensorCodec.Decoded tensor, double loss, long tokens) {
    }

    private final TensorCodec codec;
    private final WireFormat wire;
    private final int round;
    private final long stepTimeoutMs;
    private final AtomicLong bytesUp;
    private final AtomicLong bytesDown;
    private final BlockingQueue<Object> replies = new LinkedBlockingQueue<>();
    private final ClientCallStreamObserver<ActivationMessage> requests;
    private long seq;
    private boolean ended;

    StepStream(SplitFederationGrpc.SplitFederationStub stub, TensorCodec codec, WireFormat wire, int round, long stepTimeoutMs,
               AtomicLong bytesUp, AtomicLong bytesDown) {
        this.codec = codec;
        this.wire = wire;
        this.round = round;
        this.stepTimeoutMs = stepTimeoutMs;
        this.bytesUp = bytesUp;
        this.bytesDown = bytesDown;
        Receiver receiver = new Receiver();
        stub.train(receiver);
        this.requests = receiver.requests;
    }

    /** Collects gradient chunks on gRPC's thread and queues whole gradients for the device thread. */
    private final class Receiver implements ClientResponseObserver<ActivationMessage, GradientMessage> {
        ClientCallStreamObserver<ActivationMessage> requests;
        private final TensorAssembler assembler = codec.assembler();
        private long expectedSeq;
        private boolean failed;

        @Override
        public void beforeStart(ClientCallStreamObserver<ActivationMessage> r) {
            this.requests = r;
        }

        @Override
        public void onNext(GradientMessage m) {
            bytesDown.addAndGet(m.getSerializedSize());
            if (failed) {
                return;
            }
            try {
                if (m.getSeq() != expectedSeq++ || m.getRound() != round) {
                    throw TensorCodec.invalid("gradient message seq " + m.getSeq() + " of round " + m.getRound()
                            + " where seq " + (expectedSeq - 1) + " of round " + round + " was expected");
                }
                TensorCodec.Decoded d = assembler.accept(m.getChunk());
                if (d != null) {
                    replies.add(new Grad(m.getLocalStep(), d, m.getLossNats(), m.getTargetTokens()));
                }
            } catch (StatusRuntimeException e) {
                failed = true;
                replies.add(e);
                requests.cancel("bad gradient from the server: " + e.getStatus().getDescription(), e);
            }
        }

        @Override
        public void onError(Throwable t) {
            replies.add(t);
        }

        @Override
        public void onCompleted() {
            replies.add(END);
        }
    }

    /** Sends one local step's activations and returns the server's gradient at the cut (the caller closes it). */
    GradientPayload exchange(int localStep, ActivationPayload p) {
        long[] hiddenShape = Tensors.shape(p.hidden());
        send(localStep, codec.encode("targets", p.targets(), DType.I64));
        send(localStep, codec.encodeInts("lengths", p.lengths()));
        send(localStep, codec.encode("hidden", p.hidden(), wire));
        Object o = next();
        if (!(o instanceof Grad g)) {
            throw Status.INTERNAL.withDescription("the server ended the train stream before sending the gradient of local"
                    + " step " + localStep).asRuntimeException();
        }
        if (g.step() != localStep) {
            throw TensorCodec.invalid("gradient for local step " + g.step() + " arrived while step " + localStep
                    + " was waiting");
        }
        g.tensor().requireDtype("gradient", wire.dtype()).requireShape("gradient", wire.packedShape(hiddenShape));
        Tensor grad = g.tensor().toFloat32(wire);
        return new GradientPayload(grad, g.loss(), g.tokens());
    }

    private void send(int localStep, List<TensorChunk> chunks) {
        for (TensorChunk c : chunks) {
            ActivationMessage m = ActivationMessage.newBuilder().setRound(round).setLocalStep(localStep).setSeq(seq++)
                    .setChunk(c).build();
            bytesUp.addAndGet(m.getSerializedSize());
            requests.onNext(m);
        }
    }

    /** The next reply; a stream error or the step timeout is thrown as a {@code StatusRuntimeException}. */
    private Object next() {
        Object o;
        try {
            o = replies.poll(stepTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            requests.cancel("interrupted", e);
            throw Status.CANCELLED.withDescription("interrupted while waiting for the gradient").asRuntimeException();
        }
        if (o == null) {
            requests.cancel("no gradient within " + stepTimeoutMs + " ms", null);
            throw Status.DEADLINE_EXCEEDED.withDescription("no gradient within the step timeout of " + stepTimeoutMs
                    + " ms").asRuntimeException();
        }
        if (o instanceof Throwable t) {
            ended = true;
            throw t instanceof StatusRuntimeException e ? e : Status.fromThrowable(t).asRuntimeException();
        }
        if (o == END) {
            ended = true;
        }
        return o;
    }

    /** Half-closes after the last step and waits for the server to complete the stream. */
    void finish() {
        requests.onCompleted();
        Object o = next();
        if (o != END) {
            throw Status.INTERNAL.withDescription("unexpected message after the last local step").asRuntimeException();
        }
    }

    @Override
    public void close() {
        if (!ended) {
            requests.cancel("device left the round", null);
        }
    }
}
