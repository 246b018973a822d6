package org.memsfl.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.memsfl.cost.DelayModel;
import org.memsfl.data.DataResolver;
import org.memsfl.engine.Engine;
import org.memsfl.fed.Aggregators;
import org.memsfl.fleet.ServerProfile;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelConfig;
import org.memsfl.round.DevicePhase;
import org.memsfl.round.HeldOutEval;
import org.memsfl.round.RoundEnd;
import org.memsfl.round.RoundRefusal;
import org.memsfl.settings.RunSettings;
import org.memsfl.round.ServerCheckpoint;
import org.memsfl.round.ServerDesign;
import org.memsfl.round.ServerDevice;
import org.memsfl.round.SplitRun;
import org.memsfl.round.SplitServer;
import org.memsfl.schedule.Policies;
import org.memsfl.schedule.StepDispatcher;
import org.memsfl.train.TaskEvaluator;
import org.memsfl.util.ProcessMemory;

/**
 * The edge server's transport of the core round (DESIGN.md section 7): it drives ONE {@link SplitServer} (memsfl's
 * design, the code the simulator drives; set up with the model, cut planner, held-out evaluation and delay model by
 * the core {@link SplitRun}, as the simulator's is) from gRPC requests, and keeps what only a deployment has: the worker thread,
 * the round deadline, registration, waiting steps in a {@link StepDispatcher}, encoding adapters, and the run's
 * records ({@link RunRecords}) and checkpoints ({@link Checkpoint}). It takes domain records
 * ({@link DeviceRegistration}, {@link ActivationStep}, {@link AdapterUpload}) and never a proto: the service decodes.
 *
 * <p>Every change of state runs on one worker thread, in the order tasks arrive: registrations, local steps, uploads,
 * round ends and deadlines. Local steps wait in the dispatcher and are served one device at a time, the scheduler
 * picking among the waiting ones each time the server becomes free. So the server holds the activations of one device
 * at a time and never needs a lock; gRPC threads only assemble chunks and hand whole messages to the worker.
 */
final class RoundCoordinator implements AutoCloseable {

    private final ServerDeployment s;
    private final RunSettings run;       // s.run(): what is trained, the simulator's settings record
    private final LoraConfig lora;       // run.lora() in the trained model's module names
    private final Consumer<String> log;
    private final SplitRun split;        // the core run: model, cut planner, held-out evaluation, delay model
    private final LoadedModel loaded;
    private final ModelConfig config;
    private final Registrations registrations;
    private final TensorCodec codec;
    private final HeldOutEval heldOut;
    private TaskEvaluator.Result lastTask; // the last generation evaluation (null before any)
    private final SplitServer server;
    private final StepServing serving;
    private final DelayModel delay;
    private final ServerProfile serverProfile;
    private final RunRecords records;
    private final ExecutorService worker;
    private final ScheduledExecutorService timer;
    private final Map<String, AdapterSet> uploads = new HashMap<>(); // decoded here, freed once the round has ended
    private final StorageRetry storage;
    private volatile boolean ending;     // the open round has ended and its checkpoint is being written
    private final CompletableFuture<Map<String, Object>> finished = new CompletableFuture<>();
    private final AdapterHandout handout;
    private volatile String stopped;     // why training stopped early (null while it goes on)
    private final ExpectedShapes shapes;
    private final Setting.Names names;   // how the user names the settings a stop's reason tells them to change
    private volatile int round;

    /** @param serving told false while the server cannot persist a round (health NOT_SERVING), true when it can again */
    RoundCoordinator(ServerDeployment s, Consumer<String> log, Consumer<Boolean> serving, Setting.Names names) {
        this.s = s;
        this.names = names;
        this.run = s.run();
        this.log = log;
        Engine.seed(run.seed());
        long rssBeforeModel = ProcessMemory.rssBytes();
        this.split = SplitRun.deployed(run, s.cut(), s.evalData() == null ? null : DataResolver.resolve(s.evalData()),
                s.fleetSize());
        this.lora = split.lora(); // the same target names as every other command
        this.loaded = split.loaded();
        this.config = loaded.config();
        int seqLen = split.seqLen();
        this.registrations = new Registrations(s, split.cutPlanner(), Registrations.terms(s, lora, config.nLayers(),
                seqLen, loaded.id(), ModelFingerprint.of(loaded.model()), TemplateSync.sha256(split.encoder().template())),
                log);
        // one assembly budget for every stream of every device: memory follows what arrived, never what was declared
        this.codec = new TensorCodec(s.maxChunkBytes(), TensorCodec.DEFAULT_MAX_TENSOR_BYTES,
                TensorCodec.DEFAULT_MAX_ASSEMBLY_BYTES);
        this.heldOut = split.heldOut();
        if (s.generation() != null) {
            heldOut.partitions(); // the devices' partitions the prompts are picked by: a bad one fails before round 1
        }
        this.server = split.server(ServerDesign.MEMSFL, s.guards(), Aggregators.of(run.aggregation()));
        this.delay = split.delay();
        this.serverProfile = new ServerProfile(s.serverFlops(), Long.MAX_VALUE);
        this.worker = Executors.newSingleThreadExecutor(Daemons.named("memsfl-server-worker"));
        this.timer = Executors.newSingleThreadScheduledExecutor(Daemons.named("memsfl-round-timer"));
        this.records = new RunRecords(s, loaded.id(), rssBeforeModel);
        this.shapes = new ExpectedShapes(run.batchSize(), seqLen, config.dim(), run.wire());
        this.storage = new StorageRetry(s.storageRetry(), worker, timer, serving, log);
        this.handout = new AdapterHandout(run.rounds(), registrations, this::device, worker, () -> round,
                () -> storage.failing() ? "the server cannot save round " + round + " yet; retry" : null);
        this.serving = new StepServing(server, new StepWire(run.batchSize(), seqLen, run.wire(), config, codec),
                new StepDispatcher<>(Policies.of(run.scheduler()), run.seed()), records, worker, timer, this::checkOpen,
                log);
        if (s.resume()) {
            restore(Checkpoint.read(s.out(), lora, log, names));
        }
    }

    // ------------------------------------------------------------------ plumbing for the service

    /** Runs {@code task} on the worker; the future fails with the task's exception. */
    <T> CompletableFuture<T> onWorker(Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, worker);
    }

    void countUp(long bytes) {
        records.countUp(bytes);
    }

    void countDown(long bytes) {
        records.countDown(bytes);
    }

    TensorCodec codec() {
        return codec;
    }

    ExpectedShapes shapes() {
        return shapes;
    }

    CompletableFuture<Map<String, Object>> finished() {
        return finished;
    }

    /** True when training is over and every device that trained the last round fetched its final adapters. */
    CompletableFuture<Boolean> allFetchedFinal() {
        return onWorker(() -> round > run.rounds() && server.devices().stream().allMatch(d -> registrations.peer(d.id()).fetchedFinal
                || d.phase() == DevicePhase.LEFT_OUT || d.missedLast()));
    }

    /** True when training stopped early and every device still in the round was told so (see AdapterHandout). */
    CompletableFuture<Boolean> allToldStopped() {
        return onWorker(() -> handout.toldStopped(server.devices().stream().filter(d -> d.phase() != DevicePhase.LEFT_OUT)
                .map(ServerDevice::id).toList()));
    }

    /** A copy of the current global adapters (the caller closes it). */
    CompletableFuture<AdapterSet> globalAdapters() {
        return onWorker(() -> server.global().copy());
    }

    private ServerDevice device(String id) {
        try {
            return server.device(id);
        } catch (RoundRefusal r) {
            throw Statuses.of(r);
        }
    }

    // ------------------------------------------------------------------ register

    /** Registers a device (worker thread); the fleet's last registration opens round 1. */
    DeviceAssignment register(DeviceRegistration req) {
        String authenticatedId = req.deviceId(); // the border checked it is the authenticated one
        Registrations.Outcome o = registrations.register(req, server, round,
                (profile, cut) -> delay.step(profile, serverProfile, cut, run.serverRecompute()));
        if (!o.added()) {
            // the same device started again: whatever it had in flight this round is dropped, and it redoes the round
            serving.drop(authenticatedId);
            AdapterSet upload = server.restart(authenticatedId); // the one this transport decoded, if any
            java.util.Optional.ofNullable(uploads.remove(authenticatedId)).ifPresent(AdapterSet::close);
            log.accept("device " + authenticatedId + " restarted: " + (round == 0 ? "before round 1" : device(
                    authenticatedId).phase() == DevicePhase.TRAINING ? "it redoes round " + round + " from its start"
                    : "it rejoins at round " + (round + 1)) + (upload != null ? "; its upload is dropped" : ""));
        } else {
            shapes.register(authenticatedId, server.initialDeviceSide(authenticatedId));
        }
        if (o.added() && registrations.size() == s.fleetSize() && round == 0) {
            registrations.all().forEach((id, p) -> p.adapters = AdapterWire.encoded(codec, server.initialDeviceSide(id)));
            openRound(1);
        }
        return o.assignment();
    }

    /** GetAdapters: see {@link AdapterHandout#adapters}. */
    CompletableFuture<AdapterHandout.AdaptersReply> adapters(String id, int requested) {
        return handout.adapters(id, requested);
    }

    // ------------------------------------------------------------------ local steps

    /** A device's local step has arrived (worker thread): it waits for the server, which the scheduler hands it to. */
    void arrive(ActivationStep step, StepServing.StepSink sink) {
        serving.arrive(step, sink);
    }

    /** Runs {@code then} on the worker once no step of {@code id} waits any more (e.g. to end its stream). */
    void whenServed(String id, Runnable then) {
        serving.whenServed(id, then);
    }

    /** Refuses anything of a round before round 1 opens or after the last. */
    void checkOpen() {
        if (ending || stopped != null) {
            throw Statuses.of(Status.UNAVAILABLE, stopped != null ? "the server stopped training" : "round " + round
                    + " is ending; retry");
        }
        if (round == 0) {
            throw Statuses.of(Status.FAILED_PRECONDITION, "round 1 has not started: " + registrations.size() + " of " + s.fleetSize()
                    + " devices registered");
        }
        if (round > run.rounds()) {
            throw Statuses.of(Status.FAILED_PRECONDITION, "training finished after round " + run.rounds());
        }
    }

    // ------------------------------------------------------------------ uploads and the round's end

    /**
     * Takes a device's adapters after its local steps (worker thread); ends the round when it is complete.
     *
     * @return the round the upload counts in
     */
    int upload(AdapterUpload u) {
        String id = u.deviceId();
        ServerDevice d = device(id);
        checkOpen();
        try {
            server.checkUpload(id, u.round(), u.numExamples());
            AdapterSet up;
            try {
                up = AdapterWire.decode(u.tensors(), lora, config, AdapterWire.deviceKeys(lora, d.cut()));
            } catch (StatusRuntimeException e) {
                server.leaveOut(id); // values the round cannot take (NaN, wrong shapes): it goes on without them
                throw e;
            }
            try {
                server.upload(id, u.round(), up, u.numExamples());
            } catch (RuntimeException e) {
                up.close();
                throw e;
            }
            uploads.put(id, up);
        } catch (RoundRefusal | StatusRuntimeException e) {
            if (d.phase() == DevicePhase.LEFT_OUT && server.complete()) {
                finishRound(); // the refused device was the last one the round waited for
            }
            throw e instanceof RoundRefusal r ? Statuses.of(r) : (StatusRuntimeException) e;
        }
        Registrations.Peer p = registrations.peer(id);
        p.peakRss = Math.max(p.peakRss, u.peakRssBytes());
        p.rssBefore = u.rssBeforeModelBytes();
        int r = round;
        if (server.complete()) {
            finishRound();
        }
        return r;
    }

    /** Round deadline: devices that have not uploaded are left out and the round ends without them. */
    private void timeout(int r) {
        if (round != r || ending) {
            return;
        }
        log.accept("round " + r + " deadline passed; left out: " + server.leaveOutLate());
        finishRound();
    }

    /**
     * The round's end in the core (aggregation, quorum, health gate), then its records: checkpoint first (retried while
     * the storage fails), then the metrics line, then the next round. Below the quorum the run stops.
     */
    private void finishRound() {
        ending = true;
        RoundEnd end = server.endRound(heldOut.batches(), records.lastEvalLoss());
        double eval = heldOut.recordedLoss(end, records.lastEvalLoss());
        Map<String, Object> line = records.roundLine(end, eval);
        line.put("dispatch_policy", serving.activePolicy()); // the policy --scheduler best chose for this round
        line.put("discarded", end.discarded());
        if (end.discarded() != null) {
            log.accept("round " + end.round() + " " + end.discarded());
        }
        if (end.participants().size() < s.guards().minDevices()) {
            records.append(line);
            stop(RunStopped.belowQuorum(end, s.fleetSize(), s.guards().minDevices(), names));
            return;
        }
        Map<Integer, String> byPartition = registrations.deviceByPartition();
        TaskEvaluator.Result task = heldOut.afterRound(end.round(), server.global(), s.generation(),
                i -> byPartition.getOrDefault(i, "partition-" + i));
        if (task != null) {
            lastTask = task;
            log.accept("round " + end.round() + ": task metrics " + task.metrics() + " over " + task.predictions().size()
                    + " held-out prompts");
            line.put("task_metrics", task.metrics());
        }
        // the checkpoint comes before anything of this round becomes visible: a crash after it loses nothing
        Checkpoint.State state = new Checkpoint.State(server.checkpoint(end.next()), s.toMap(),
                registrations.forCheckpoint(), records.totals(), line);
        storage.run("checkpoint of round " + end.round(), () -> Checkpoint.write(s.out(), state),
                new StorageRetry.Outcome() {
                    @Override
                    public void written(int attempts) {
                        roundSaved(end, line);
                    }

                    @Override
                    public void gaveUp(String why) {
                        stop(RunStopped.noStorage(end.round(), why, names));
                    }
                });
    }

    private void roundSaved(RoundEnd end, Map<String, Object> line) {
        records.append(line);
        for (Map.Entry<String, Registrations.Peer> e : registrations.all().entrySet()) {
            e.getValue().adapters = AdapterWire.encoded(codec, end.next().get(e.getKey()));
        }
        uploads.values().forEach(AdapterSet::close); // after encoding: a participant's next is its own upload
        uploads.clear();
        log.accept(records.roundSummary(end));
        if (end.round() == run.rounds()) {
            finish();
        }
        openRound(end.round() + 1);
    }

    /** Ends training early: the adapters kept so far and summary.json are written, and the run fails with why. */
    private void stop(String why) {
        log.accept("stopping: " + why);
        stopped = why;
        records.stopped(why, round);
        handout.stopped(why); // devices waiting for adapters are told now, new asks too
        try {
            finish();
        } catch (RuntimeException e) {
            log.accept("could not write the final records: " + e.getMessage());
        }
        finished.completeExceptionally(new RunStopped(why));
    }

    /** Rebuilds the state of a completed round and opens the next (constructor, before the server serves). */
    private void restore(Checkpoint.State c) {
        Checkpoint.requireResumable(c, s);
        server.restore(c.round(), id -> s.maxNumExamples());
        for (ServerCheckpoint.Device d : c.round().devices()) {
            Registrations.Peer p = registrations.restore(c.registrations().get(d.id()), d.cut());
            p.adapters = AdapterWire.encoded(codec, d.next());
            shapes.register(d.id(), d.next());
            d.next().close();
        }
        records.resume(c.totals(), c.completedRound(), c.metricsLine(), log);
        round = c.completedRound();
        log.accept("resumed after round " + round + " from " + s.out().resolve(Checkpoint.DIR) + " with "
                + registrations.size() + " devices " + registrations.all().keySet());
        if (round == run.rounds()) {
            finish();
        }
        handout.resumedAt(round + 1);
        openRound(round + 1);
    }

    /**
     * Opens round {@code r} atomically: what can fail (the devices' predicted timings) is computed first; the deadline
     * is set before anything else can fail, so a round never stays open without one.
     */
    private void openRound(int r) {
        Map<String, org.memsfl.schedule.DeviceTiming> timings = r <= run.rounds()
                ? server.timings(delay, registrations.profiles(), serverProfile) : Map.of();
        if (r <= run.rounds()) {
            timer.schedule(() -> worker.execute(() -> timeout(r)), s.roundTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        round = r;
        ending = false;
        records.roundOpened();
        if (r <= run.rounds()) {
            server.beginRound(r);
            serving.beginRound(r, timings, run.localSteps());
            log.accept("round " + r + "/" + run.rounds() + " open");
        }
        handout.opened(r);
    }

    private void finish() {
        if (lastTask != null) {
            heldOut.writeTaskFiles(s.out(), s.generation(), Map.of("memsfl", lastTask));
        }
        Map<String, Object> summary = records.finish(server.global(), loaded, registrations.deviceLines(server),
                lastTask == null ? null : lastTask.toSummary());
        log.accept(String.format(Locale.ROOT, "training %s: %d rounds in %.1f s; wrote %s (adapter/, metrics.jsonl,"
                + " summary.json, manifest.json)", stopped == null ? "finished" : "stopped",
                stopped == null ? run.rounds() : round - 1, records.wallSeconds(), s.out()));
        if (stopped == null) {
            finished.complete(summary);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            worker.submit(() -> {
                uploads.values().forEach(AdapterSet::close); // the uploads this transport decoded
                server.close();
                split.close();
            }).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.accept("server state not freed cleanly: " + e);
        } finally {
            worker.shutdownNow();
        }
        if (!finished.isDone()) {
            finished.completeExceptionally(new IllegalStateException("server closed before training finished"));
        }
    }

    int round() { // open now: 0 before round 1, rounds + 1 after the last
        return round;
    }
}
