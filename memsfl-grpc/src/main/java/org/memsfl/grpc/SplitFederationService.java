package org.memsfl.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.memsfl.grpc.proto.ActivationMessage;
import org.memsfl.grpc.proto.AdaptersHeader;
import org.memsfl.grpc.proto.AdaptersMessage;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.grpc.proto.GetAdaptersRequest;
import org.memsfl.grpc.proto.GradientMessage;
import org.memsfl.grpc.proto.PutAdaptersHeader;
import org.memsfl.grpc.proto.PutAdaptersMessage;
import org.memsfl.grpc.proto.PutAdaptersReply;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.grpc.proto.SplitFederationGrpc;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.util.BadInputException;

/**
 * The gRPC face of {@link RoundCoordinator}: authenticates nothing itself (the {@link TokenInterceptor} did, and put
 * the device id in the context), assembles chunked messages on gRPC's threads, and hands whole requests to the
 * coordinator's worker as domain records ({@link DeviceRegistration}, {@link ActivationStep}, {@link AdapterUpload}).
 * With the codecs it is the server's only class that reads or writes a proto. A bad message ends only its own call,
 * with a status and a description.
 */
final class SplitFederationService extends SplitFederationGrpc.SplitFederationImplBase {

    /** The service's full gRPC name (health checks report it). */
    static final String NAME = SplitFederationGrpc.SERVICE_NAME;

    private final RoundCoordinator coordinator;
    private final TensorCodec codec;
    private final Consumer<String> log;

    SplitFederationService(RoundCoordinator coordinator, Consumer<String> log) {
        this.coordinator = coordinator;
        this.codec = coordinator.codec();
        this.log = log;
    }

    private static String deviceId() {
        String id = TokenInterceptor.DEVICE_ID.get();
        if (id == null) {
            throw Status.UNAUTHENTICATED.withDescription("no authenticated device id").asRuntimeException();
        }
        return id;
    }

    /** The status a failure travels as: its own when it has one, INVALID_ARGUMENT for bad input, else INTERNAL. */
    static StatusRuntimeException toStatus(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof StatusRuntimeException e) {
            return e;
        }
        if (c instanceof io.grpc.StatusException e) {
            return e.getStatus().asRuntimeException();
        }
        if (c instanceof BadInputException || c instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT.withDescription(c.getMessage()).asRuntimeException();
        }
        return Status.INTERNAL.withDescription("server error: " + c).asRuntimeException();
    }

    /** The shapes of {@code id}'s upload; FAILED_PRECONDITION when it has not registered. */
    private Map<String, long[]> requireRegistered(String id) {
        Map<String, long[]> shapes = coordinator.shapes().upload(id);
        if (shapes == null) {
            throw Status.FAILED_PRECONDITION.withDescription("device " + id + " has not registered")
                    .asRuntimeException();
        }
        return shapes;
    }

    @Override
    public void register(RegisterRequest req, StreamObserver<Assignment> out) {
        String id = deviceId();
        coordinator.countUp(req.getSerializedSize());
        // the request becomes a record at this border (checked once), the assignment a proto only to be sent
        coordinator.onWorker(() -> RegistrationCodec.toProto(coordinator.register(RegistrationCodec.registration(req, id))))
                .whenComplete((a, err) -> {
                    if (err != null) {
                        out.onError(toStatus(err));
                    } else {
                        coordinator.countDown(a.getSerializedSize());
                        out.onNext(a);
                        out.onCompleted();
                    }
                });
    }

    @Override
    public void getAdapters(GetAdaptersRequest req, StreamObserver<AdaptersMessage> out) {
        String id = deviceId();
        ServerCallStreamObserver<AdaptersMessage> call = (ServerCallStreamObserver<AdaptersMessage>) out;
        coordinator.adapters(id, req.getRound()).whenComplete((reply, err) -> {
            if (call.isCancelled()) {
                return; // the device gave up waiting (its deadline) and will ask again
            }
            if (err != null) {
                call.onError(toStatus(err));
                return;
            }
            AdaptersHeader.Builder h = AdaptersHeader.newBuilder().setRound(reply.round());
            if (reply.stopped() != null) {
                h.setStopped(reply.stopped());
            } else {
                h.setTensorCount(reply.adapters().tensorCount()).setTrainingFinished(reply.trainingFinished());
            }
            send(call, AdaptersMessage.newBuilder().setHeader(h).build());
            for (TensorChunk c : reply.adapters().chunks()) {
                send(call, AdaptersMessage.newBuilder().setChunk(c).build());
            }
            call.onCompleted();
        });
    }

    private void send(StreamObserver<AdaptersMessage> call, AdaptersMessage m) {
        coordinator.countDown(m.getSerializedSize());
        call.onNext(m);
    }

    @Override
    public StreamObserver<ActivationMessage> train(StreamObserver<GradientMessage> out) {
        return new StepReceiver(deviceId(), new Sink((ServerCallStreamObserver<GradientMessage>) out));
    }

    @Override
    public StreamObserver<PutAdaptersMessage> putAdapters(StreamObserver<PutAdaptersReply> out) {
        return new UploadReceiver(deviceId(), out);
    }

    /**
     * Serialises writes to one Train stream's response side (the worker and gRPC threads both may end it), and numbers
     * its gradient messages 0, 1, 2, ...
     */
    private final class Sink implements StepServing.StepSink {
        private final ServerCallStreamObserver<GradientMessage> out;
        private boolean closed;
        private long seq;    // the next gradient message's (worker thread only)

        Sink(ServerCallStreamObserver<GradientMessage> out) {
            this.out = out;
        }

        @Override
        public synchronized boolean closed() {
            return closed || out.isCancelled();
        }

        @Override
        public void send(StepWire.EncodedGradient g) { // the worker's only: seq needs no lock, each message does
            for (TensorChunk c : g.chunks()) {
                sendOne(GradientMessage.newBuilder().setRound(g.round()).setLocalStep(g.localStep()).setSeq(seq++)
                        .setChunk(c).setLossNats(g.lossNats()).setTargetTokens(g.targetTokens()).build());
            }
        }

        private synchronized void sendOne(GradientMessage m) {
            if (!closed()) {
                coordinator.countDown(m.getSerializedSize());
                out.onNext(m);
            }
        }

        @Override
        public synchronized void fail(Throwable t) {
            if (!closed()) {
                closed = true;
                out.onError(toStatus(t));
            }
        }

        synchronized void complete() {
            if (!closed()) {
                closed = true;
                out.onCompleted();
            }
        }
    }

    /** One device's Train stream: chunks to whole steps, whole steps to the worker, in order. */
    private final class StepReceiver implements StreamObserver<ActivationMessage> {
        private final String id;
        private final Sink sink;
        private long expectedSeq;
        private TensorGroup group;
        private int groupRound;
        private int groupStep;

        StepReceiver(String id, Sink sink) {
            this.id = id;
            this.sink = sink;
        }

        @Override
        public void onNext(ActivationMessage m) {
            coordinator.countUp(m.getSerializedSize());
            if (sink.closed()) {
                return;
            }
            try {
                if (m.getSeq() != expectedSeq) {
                    throw TensorCodec.invalid("activation message seq " + Long.toUnsignedString(m.getSeq())
                            + " where " + expectedSeq + " was expected (a message was lost, repeated or reordered)");
                }
                expectedSeq++;
                StepWire.checkHeader(m);
                if (group == null) {
                    // nothing is buffered for a device that has not registered, or outside an open round
                    requireRegistered(id);
                    coordinator.checkOpen();
                    group = new TensorGroup(codec, "local step " + m.getLocalStep() + " of round " + m.getRound(), 3,
                            StepWire.STEP_TENSORS, coordinator.shapes().step());
                    groupRound = m.getRound();
                    groupStep = m.getLocalStep();
                } else if (m.getRound() != groupRound || m.getLocalStep() != groupStep) {
                    throw TensorCodec.invalid("a chunk of round " + m.getRound() + " step " + m.getLocalStep()
                            + " arrived before local step " + groupStep + " of round " + groupRound + " was complete");
                }
                if (!m.hasChunk()) {
                    throw TensorCodec.invalid("activation message without a tensor chunk");
                }
                if (group.accept(m.getChunk())) {
                    ActivationStep step = new ActivationStep(id, groupRound, groupStep, group.tensors());
                    group = null;
                    coordinator.onWorker(() -> {
                        coordinator.arrive(step, sink);
                        return null;
                    });
                }
            } catch (RuntimeException e) {
                log.accept("refused activations of " + id + ": " + toStatus(e).getStatus().getDescription());
                dropGroup();
                sink.fail(e);
            }
        }

        private void dropGroup() {
            if (group != null) {
                group.close();
                group = null;
            }
        }

        @Override
        public void onError(Throwable t) {
            dropGroup();
            log.accept("train stream of " + id + " broke: " + Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            if (group != null) {
                dropGroup();
                sink.fail(TensorCodec.invalid("the stream ended inside local step " + groupStep + ": "
                        + "its tensors are truncated"));
                return;
            }
            // after every step of this device already received is served, so the device sees all its gradients first
            coordinator.whenServed(id, sink::complete);
        }
    }

    /** One upload: header, then the chunks of every adapter tensor; handed to the worker when the device is done. */
    private final class UploadReceiver implements StreamObserver<PutAdaptersMessage> {
        private final String id;
        private final StreamObserver<PutAdaptersReply> out;
        private PutAdaptersHeader header;
        private TensorGroup group;
        private boolean failed;

        UploadReceiver(String id, StreamObserver<PutAdaptersReply> out) {
            this.id = id;
            this.out = out;
        }

        @Override
        public void onNext(PutAdaptersMessage m) {
            coordinator.countUp(m.getSerializedSize());
            if (failed) {
                return;
            }
            try {
                if (m.hasHeader()) {
                    if (header != null) {
                        throw TensorCodec.invalid("upload carries a second header");
                    }
                    header = m.getHeader();
                    Map<String, long[]> expected = requireRegistered(id);
                    int count = header.getTensorCount();
                    if (count != expected.size()) {
                        throw TensorCodec.invalid("upload announces " + Integer.toUnsignedString(count)
                                + " tensors; the device's cut holds " + expected.size());
                    }
                    group = new TensorGroup(codec, "adapter upload", count, expected.keySet(), expected);
                } else if (m.hasChunk()) {
                    if (header == null) {
                        throw TensorCodec.invalid("upload chunk before the header");
                    }
                    group.accept(m.getChunk());
                } else {
                    throw TensorCodec.invalid("empty upload message");
                }
            } catch (RuntimeException e) {
                failed = true;
                if (group != null) {
                    group.close();
                }
                log.accept("refused an upload of " + id + ": " + toStatus(e).getStatus().getDescription());
                out.onError(toStatus(e));
            }
        }

        @Override
        public void onError(Throwable t) {
            failed = true;
            if (group != null) {
                group.close();
            }
            log.accept("upload stream of " + id + " broke: " + Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            if (failed) {
                return;
            }
            Map<String, TensorCodec.Decoded> tensors;
            try {
                if (header == null) {
                    throw TensorCodec.invalid("upload without a header");
                }
                tensors = group.requireComplete();
            } catch (RuntimeException e) {
                if (group != null) {
                    group.close();
                }
                out.onError(toStatus(e));
                return;
            }
            AdapterUpload upload = new AdapterUpload(id, header.getRound(), header.getNumExamples(),
                    header.getPeakRssBytes(), header.getRssBeforeModelBytes(), tensors);
            coordinator.onWorker(() -> coordinator.upload(upload)).whenComplete((r, err) -> {
                if (err != null) {
                    StatusRuntimeException st = toStatus(err);
                    log.accept("refused an upload of " + id + ": " + st.getStatus().getCode() + " "
                            + st.getStatus().getDescription());
                    out.onError(st);
                } else {
                    PutAdaptersReply reply = PutAdaptersReply.newBuilder().setRound(r).setAccepted(true).build();
                    coordinator.countDown(reply.getSerializedSize());
                    out.onNext(reply);
                    out.onCompleted();
                }
            });
        }
    }
}
