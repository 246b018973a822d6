package org.memsfl.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.memsfl.engine.NativeScope;
import org.memsfl.round.RoundRefusal;
import org.memsfl.round.ServerDevice;
import org.memsfl.round.SplitServer;
import org.memsfl.schedule.DeviceTiming;
import org.memsfl.schedule.StepDispatcher;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.GradientPayload;

/**
 * The edge server's local steps on the worker thread: each arriving {@link ActivationStep} waits in the
 * {@link StepDispatcher}; each time the server is free the dispatcher picks one, its tensors become the round's
 * payload ({@link StepWire}), the core {@link SplitServer} serves it, and the encoded gradient goes to the device's
 * {@link StepSink}.
 *
 * <p>One choice is queued on the worker at a time, and the next one only when a step has been served, behind every
 * arrival that reached the worker's queue meanwhile: so the dispatcher chooses among every step that arrived while the
 * server was busy, as the simulator's round ({@code RoundSimulator.serve}) assumes. (A choice queued per arrival
 * would run before the arrivals queued after it, leaving them out of the choice the server makes when it is free.)
 * When the dispatcher idles the server ({@code critical}: the device that ends the round is due soon), the worker asks
 * again at the time it names, or at the next arrival, whichever comes first.
 */
final class StepServing {

    /** Where a device's served steps go (its Train stream's response side), or the error that ends the stream. */
    interface StepSink {
        boolean closed();

        /** Sends a served step's gradient (dropped when the stream has closed). */
        void send(StepWire.EncodedGradient g);

        void fail(Throwable t);
    }

    /** A local step that arrived and waits for the server. */
    private record StepWork(ActivationStep step, StepSink sink) {
    }

    private final SplitServer server;
    private final StepWire stepWire;
    private final StepDispatcher<StepWork> dispatcher;
    private final RunRecords records;
    private final Executor worker;
    private final java.util.concurrent.ScheduledExecutorService timer;
    private final Runnable checkOpen;
    private final Consumer<String> log;
    private final Map<String, Runnable> afterServed = new HashMap<>();
    private boolean choiceQueued; // a serveNext waits on the worker's queue (worker thread only)

    /** @param checkOpen throws the transport's error when no round is open */
    /** @param timer wakes the worker when an idle the dispatcher chose ends */
    StepServing(SplitServer server, StepWire stepWire, StepDispatcher<?> dispatcher, RunRecords records,
                Executor worker, java.util.concurrent.ScheduledExecutorService timer, Runnable checkOpen,
                Consumer<String> log) {
        this.server = server;
        this.stepWire = stepWire;
        @SuppressWarnings("unchecked")
        StepDispatcher<StepWork> d = (StepDispatcher<StepWork>) dispatcher;
        this.dispatcher = d;
        this.records = records;
        this.worker = worker;
        this.timer = timer;
        this.checkOpen = checkOpen;
        this.log = log;
    }

    /** A round opens: the devices' predicted timings and the local steps each runs, for the scheduler. */
    void beginRound(int round, Map<String, DeviceTiming> timings, int localSteps) {
        dispatcher.beginRound(round, timings, localSteps);
    }

    /** The policy the dispatcher serves this round with ({@code --scheduler best}: the one it chose). */
    String activePolicy() {
        return dispatcher.activePolicy();
    }

    /** A device's local step has arrived (worker thread): it waits for the server, which the scheduler hands it to. */
    void arrive(ActivationStep step, StepSink sink) {
        dispatcher.add(new StepDispatcher.Waiting<>(step.deviceId(), step.localStep(), records.sinceRoundOpened(),
                new StepWork(step, sink)));
        queueChoice();
    }

    /** Queues the server's next choice unless one is queued: behind every arrival already on the worker's queue. */
    private void queueChoice() {
        if (!choiceQueued) {
            choiceQueued = true;
            worker.execute(this::serveNext);
        }
    }

    private void serveNext() {
        choiceQueued = false;
        double now = records.sinceRoundOpened();
        StepDispatcher.Waiting<StepWork> w = dispatcher.next(now);
        if (w == null && !dispatcher.isEmpty()) {
            wakeAt(now, dispatcher.idleUntil());
            return;
        }
        if (w != null) {
            step(w.work().step(), w.work().sink());
            if (!dispatcher.holds(w.deviceId())) {
                Runnable then = afterServed.remove(w.deviceId());
                if (then != null) {
                    then.run();
                }
            }
        }
        if (!dispatcher.isEmpty()) {
            queueChoice(); // the steps that arrived while this one was served are on the queue before this choice
        }
    }

    /** Asks the dispatcher again at {@code until} (seconds since the round opened) unless an arrival asks first. */
    private void wakeAt(double now, double until) {
        if (Double.isInfinite(until)) {
            return; // the next arrival asks
        }
        long micros = Math.max(1, (long) Math.ceil((until - now) * 1e6));
        try {
            timer.schedule(() -> worker.execute(this::queueChoice), micros, java.util.concurrent.TimeUnit.MICROSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the coordinator is closing: nothing more is served
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
    private void step(ActivationStep step, StepSink sink) {
        if (sink.closed()) {
            return;
        }
        String id = step.deviceId();
        try {
            ServerDevice d = server.device(id);
            checkOpen.run();
            server.checkStep(id, step.round(), step.localStep());
            StepWire.EncodedGradient gradient;
            ActivationPayload p = stepWire.payload(id, d.cut(), step.tensors());
            try (NativeScope scope = new NativeScope()) {
                GradientPayload g = server.serve(p, step.localStep());
                try {
                    gradient = stepWire.gradient(step.round(), step.localStep(), g);
                } finally {
                    g.grad().close();
                }
            } finally {
                // owned by this step (decoded outside any scope): the server holds one device's activations at a time
                p.hidden().close();
                p.targets().close();
            }
            records.step(step.tensors().get("hidden").data().length, gradient.dataBytes());
            sink.send(gradient);
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
