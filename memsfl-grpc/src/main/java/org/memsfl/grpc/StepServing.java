package org.memsfl.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.memsfl.engine.DType;
import org.memsfl.split.WireFormat;
import org.memsfl.engine.NativeScope;
import org.memsfl.grpc.RoundCoordinator.StepSink;
import org.memsfl.grpc.proto.GradientMessage;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.round.RoundRefusal;
import org.memsfl.round.ServerDevice;
import org.memsfl.round.SplitServer;
import org.memsfl.schedule.DeviceTiming;
import org.memsfl.schedule.StepDispatcher;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.GradientPayload;

/**
 * The edge server's local steps on the worker thread: each arriving step waits in the {@link StepDispatcher}; each
 * time the server is free the dispatcher picks one, its tensors become the round's payload ({@link StepWire}), the
 * core {@link SplitServer} serves it, and the gradient goes back over the device's stream in chunks.
 */
final class StepServing {

    /** A local step that arrived and waits for the server. */
    private record StepWork(int round, Map<String, TensorCodec.Decoded> tensors, StepSink sink, AtomicLong seq) {
    }

    private final SplitServer server;
    private final StepWire stepWire;
    private final TensorCodec codec;
    private final WireFormat wire;
    private final StepDispatcher<StepWork> dispatcher;
    private final RunRecords records;
    private final Executor worker;
    private final Runnable checkOpen;
    private final Consumer<String> log;
    private final Map<String, Runnable> afterServed = new HashMap<>();

    /** @param checkOpen throws the transport's error when no round is open */
    StepServing(SplitServer server, StepWire stepWire, TensorCodec codec, WireFormat wire, StepDispatcher<?> dispatcher,
                RunRecords records, Executor worker, Runnable checkOpen, Consumer<String> log) {
        this.server = server;
        this.stepWire = stepWire;
        this.codec = codec;
        this.wire = wire;
        @SuppressWarnings("unchecked")
        StepDispatcher<StepWork> d = (StepDispatcher<StepWork>) dispatcher;
        this.dispatcher = d;
        this.records = records;
        this.worker = worker;
        this.checkOpen = checkOpen;
        this.log = log;
    }

    /** A round opens: the devices' predicted timings for the scheduler. */
    void beginRound(int round, Map<String, DeviceTiming> timings) {
        dispatcher.beginRound(round, timings);
    }

    /** A device's local step has arrived (worker thread): it waits for the server, which the scheduler hands it to. */
    void arrive(String id, int stepRound, int localStep, Map<String, TensorCodec.Decoded> t, StepSink sink,
                AtomicLong seq) {
        dispatcher.add(new StepDispatcher.Waiting<>(id, localStep, records.sinceRoundOpened(),
                new StepWork(stepRound, t, sink, seq)));
        // queued behind every arrival already on the worker's queue: the choice sees all steps that came in meanwhile
        worker.execute(this::serveNext);
    }

    private void serveNext() {
        StepDispatcher.Waiting<StepWork> w = dispatcher.next();
        if (w != null) {
            StepWork k = w.work();
            step(w.deviceId(), k.round(), w.localStep(), k.tensors(), k.sink(), k.seq());
            if (!dispatcher.holds(w.deviceId())) {
                Runnable then = afterServed.remove(w.deviceId());
                if (then != null) {
                    then.run();
                }
            }
        }
    }

    /** A device restarted (worker thread): its waiting steps are dropped and their streams ended. */
    void drop(String id) {
        for (StepDispatcher.Waiting<StepWork> w : dispatcher.remove(id)) {
            w.work().sink().fail(Status.ABORTED.withDescription("device " + id + " restarted").asRuntimeException());
        }
        Runnable then = afterServed.remove(id);
        if (then != null) {
            then.run();
        }
    }

    /** Runs {@code then} on the worker once no step of {@code id} waits any more (e.g. to end its stream). */
    void whenServed(String id, Runnable then) {
        worker.execute(() -> {
            if (dispatcher.holds(id)) {
                afterServed.put(id, then);
            } else {
                then.run();
            }
        });
    }

    /** Serves one local step of one device (worker thread): validate, the round's step, gradient back. */
    private void step(String id, int stepRound, int localStep, Map<String, TensorCodec.Decoded> t, StepSink sink,
                      AtomicLong seq) {
        if (sink.closed()) {
            return;
        }
        try {
            ServerDevice d = server.device(id);
            checkOpen.run();
            server.checkStep(id, stepRound, localStep);
            GradientPayload g;
            List<TensorChunk> chunks;
            ActivationPayload p = stepWire.payload(id, d.cut(), t);
            try (NativeScope scope = new NativeScope()) {
                g = server.serve(p, localStep);
                try {
                    chunks = codec.encode("grad", g.grad(), wire);
                } finally {
                    g.grad().close();
                }
            } finally {
                // owned by this step (decoded outside any scope): the server holds one device's activations at a time
                p.hidden().close();
                p.targets().close();
            }
            records.step(t.get("hidden").data().length, TensorCodec.dataBytes(chunks));
            for (TensorChunk c : chunks) {
                sink.send(GradientMessage.newBuilder().setRound(stepRound).setLocalStep(localStep)
                        .setSeq(seq.getAndIncrement()).setChunk(c).setLossNats(g.loss()).setTargetTokens(g.targetTokens())
                        .build());
            }
        } catch (RoundRefusal e) {
            refused(id, sink, Statuses.of(e));
        } catch (StatusRuntimeException e) {
            refused(id, sink, e);
        } catch (RuntimeException e) {
            log.accept("step of " + id + " failed: " + e);
            sink.fail(Status.INTERNAL.withDescription("server step failed: " + e.getMessage()).asRuntimeException());
        }
    }

    private void refused(String id, StepSink sink, StatusRuntimeException e) {
        log.accept("refused a step of " + id + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription());
        sink.fail(e);
    }
}
