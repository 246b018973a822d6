package org.memsfl.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.cost.DelayModel;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.StepTiming;
import org.memsfl.data.Batch;
import org.memsfl.data.Batcher;
import org.memsfl.data.DataResolver;
import org.memsfl.data.Dataset;
import org.memsfl.data.Example;
import org.memsfl.data.Tokenization;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.engine.NativeScope;
import org.memsfl.fed.AggregationStrategy;
import org.memsfl.fed.Aggregators;
import org.memsfl.fed.ClientUpdate;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.ServerProfile;
import org.memsfl.grpc.proto.ActivationMessage;
import org.memsfl.grpc.proto.AdaptersHeader;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.grpc.proto.GradientMessage;
import org.memsfl.grpc.proto.LoraSettings;
import org.memsfl.grpc.proto.PutAdaptersHeader;
import org.memsfl.grpc.proto.PutAdaptersReply;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.plan.DevicePlan;
import org.memsfl.plan.Planner;
import org.memsfl.schedule.Policies;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.GradientPayload;
import org.memsfl.split.ServerSegment;
import org.memsfl.split.ServerState;
import org.memsfl.train.AdamW;
import org.memsfl.train.Evaluator;
import org.memsfl.train.Loss;
import org.memsfl.train.LrSchedule;
import org.memsfl.util.Json;
import org.memsfl.util.ProcessMemory;
import org.memsfl.util.RunManifest;

/**
 * The edge server's training state and its rounds (Chen et al. 2025, DESIGN.md sections 1 and 7): ONE frozen model,
 * per-device server-side adapters with their AdamW ({@link ServerSegment}, the code the simulator runs), and per-layer
 * aggregation over device and server sides after every round exactly as the simulator's memsfl method aggregates.
 *
 * <p>Every change of state runs on one worker thread, in the order tasks arrive: registrations, local steps, uploads,
 * aggregation and round timeouts. Local steps wait in a {@link StepQueue} and are served one device at a time, the
 * scheduler picking among the waiting ones each time the server becomes free. So the server holds the activations of
 * one device at a time and never needs a lock; gRPC threads only assemble chunks and hand whole messages to the
 * worker.
 */
final class RoundCoordinator implements AutoCloseable {

    /** The device's view of one round's adapters: the round it starts and the chunks to send. */
    record AdaptersReply(AdaptersHeader header, List<TensorChunk> chunks) {
    }

    /** Where the worker sends a step's gradient, or the error that ends the device's stream. */
    interface StepSink {
        boolean closed();

        void send(GradientMessage m);

        void fail(Throwable t);
    }

    /** A local step that arrived and waits for the server. */
    private record StepWork(int round, Map<String, TensorCodec.Decoded> tensors, StepSink sink, AtomicLong seq) {
    }

    /** What the server keeps about one registered device (worker thread only). */
    private static final class Device {
        final String id;
        final int cut;
        final int partition;
        final String reason;
        final DeviceProfile profile;
        final Assignment assignment;
        List<TensorChunk> adapters = List.of();  // device-side adapters of the current round, encoded
        int stepsDone;
        AdapterSet upload;
        long numExamples;
        boolean dropped;        // left out of the current round (timeout); may re-register
        boolean missedLast;     // missed the previous round; may re-register
        boolean fetchedFinal;
        long peakRss;
        long rssBefore;
        final List<Integer> missedRounds = new ArrayList<>();

        Device(String id, int cut, int partition, String reason, DeviceProfile profile, Assignment assignment) {
            this.id = id;
            this.cut = cut;
            this.partition = partition;
            this.reason = reason;
            this.profile = profile;
            this.assignment = assignment;
        }
    }

    private final ServerSettings s;
    private final LoraConfig lora;       // s.lora() in the trained model's module names
    private final Consumer<String> log;
    private final LoadedModel loaded;
    private final ModelConfig config;
    private final int seqLen;
    private final MemoryModel planMemory;
    private final int planLayers;
    private final Map<String, String> weightHashes;
    private final TensorCodec codec;
    private final AggregationStrategy aggregation;
    private final LrSchedule schedule;
    private final List<Batch> evalBatches;
    private final ServerSegment server;
    private final StepQueue<StepWork> queue;
    private final DelayModel delay;
    private final ServerProfile serverProfile;
    private final List<String> roundServeOrder = new ArrayList<>(); // "device:step" in the order served this round
    private final Map<String, Runnable> afterServed = new HashMap<>();
    private final AdapterSet init;
    private final ExecutorService worker;
    private final ScheduledExecutorService timer;
    private final Map<String, Device> devices = new LinkedHashMap<>();
    private final Map<Integer, CompletableFuture<Void>> opened = new HashMap<>();
    private final CompletableFuture<Map<String, Object>> finished = new CompletableFuture<>();
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private final long rssBeforeModel;
    private final long startNanos = System.nanoTime();
    private double wallBeforeResume;     // wall seconds of the run before the checkpoint it resumed from
    private int resumedRound;            // the round a resumed server opened first (0: not resumed)
    private final List<Double> roundSeconds = new ArrayList<>();
    private AdapterSet global;
    private volatile int round;
    private long roundStartNanos;
    private long roundBytesUpMark;
    private long roundBytesDownMark;
    private double lossSum;
    private long lossTokens;
    private long roundActivationBytes;   // hidden-state bytes received this round, in the wire dtype
    private long roundGradientBytes;     // gradient bytes sent this round, in the wire dtype
    private long activationBytes;
    private long gradientBytes;
    private double lastEvalLoss = Double.NaN;

    RoundCoordinator(ServerSettings s, Consumer<String> log) {
        this.s = s;
        this.log = log;
        Engine.seed(s.seed());
        this.rssBeforeModel = ProcessMemory.rssBytes();
        ModelConfig trained = ModelResolver.resolveConfig(s.model());
        ModelConfig planConfig = s.planShape() == null ? trained : ModelResolver.resolveConfig(s.planShape());
        this.planMemory = MemoryModel.of(planConfig, s.lora().forFamily(planConfig.family()), s.batchSize(), s.seqLen());
        this.planLayers = planConfig.nLayers();
        if (s.cut() >= trained.nLayers()) {
            throw new org.memsfl.util.BadInputException("cut " + s.cut() + " leaves the server no layer: the model has "
                    + trained.nLayers() + " layers, so a cut is in [1, " + (trained.nLayers() - 1) + "]");
        }
        this.lora = s.lora().forFamily(trained.family()); // q,k,v,o name GPT-2's fused c_attn slices and c_proj
        this.loaded = ModelResolver.resolve(s.model(), LayerRange.all(trained.nLayers()), DType.F32);
        this.config = loaded.config();
        this.seqLen = Math.min(s.seqLen(), config.maxSeqLen());
        this.weightHashes = ModelFingerprint.of(loaded.model());
        this.codec = new TensorCodec(s.maxChunkBytes(), TensorCodec.DEFAULT_MAX_TENSOR_BYTES);
        this.aggregation = Aggregators.of(s.aggregation());
        this.schedule = new LrSchedule(s.lr(), s.warmup(), 0, false);
        this.evalBatches = evalBatches(s, loaded, seqLen);
        this.server = new ServerSegment(0, s.serverRecompute());
        this.queue = new StepQueue<>(Policies.of(s.scheduler()), s.seed());
        this.delay = new DelayModel(config, lora, s.batchSize(), seqLen, s.wire().bytes());
        this.serverProfile = new ServerProfile(s.serverFlops(), Long.MAX_VALUE);
        this.init = AdapterSet.init(config, lora, LayerRange.all(config.nLayers()), s.seed());
        this.global = init.copy();
        this.worker = Executors.newSingleThreadExecutor(r -> daemon(r, "memsfl-server-worker"));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "memsfl-round-timer"));
        try {
            Files.createDirectories(s.out());
            if (!s.resume()) {
                Files.deleteIfExists(s.out().resolve("metrics.jsonl"));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot prepare output directory " + s.out() + ": " + e.getMessage(), e);
        }
        Map<String, Object> manifest = new LinkedHashMap<>(s.toMap());
        manifest.put("model_id", loaded.id());
        manifest.put("transport", "grpc");
        manifest.put("resumed", s.resume());
        RunManifest.write(s.out(), "server", manifest, s.seed());
        if (s.resume()) {
            restore(Checkpoint.read(s.out(), lora));
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static List<Batch> evalBatches(ServerSettings s, LoadedModel loaded, int seqLen) {
        if (s.evalData() == null) {
            return List.of();
        }
        Dataset ds = DataResolver.resolve(s.evalData());
        List<Example> eval = ds.eval().subList(0, Math.min(s.evalExamples(), ds.eval().size()));
        return Batcher.sequential(new Tokenization(loaded.requireTokenizer(), seqLen).applyAll(eval), s.batchSize(), seqLen);
    }

    // ------------------------------------------------------------------ plumbing for the service

    /** Runs {@code task} on the worker; the future fails with the task's exception. */
    <T> CompletableFuture<T> onWorker(Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, worker);
    }

    void countUp(long bytes) {
        bytesUp.addAndGet(bytes);
    }

    void countDown(long bytes) {
        bytesDown.addAndGet(bytes);
    }

    TensorCodec codec() {
        return codec;
    }

    ServerSettings settings() {
        return s;
    }

    CompletableFuture<Map<String, Object>> finished() {
        return finished;
    }

    /** True when training is over and every device that trained the last round fetched its final adapters. */
    CompletableFuture<Boolean> allFetchedFinal() {
        return onWorker(() -> round > s.rounds() && devices.values().stream().allMatch(d -> d.fetchedFinal || d.dropped
                || d.missedLast));
    }

    /** A copy of the current global adapters (the caller closes it). */
    CompletableFuture<AdapterSet> globalAdapters() {
        return onWorker(() -> global.copy());
    }

    private static StatusRuntimeException status(Status st, String description) {
        return st.withDescription(description).asRuntimeException();
    }

    // ------------------------------------------------------------------ register

    /** Registers a device (worker thread). */
    Assignment register(String authenticatedId, RegisterRequest req) {
        if (!authenticatedId.equals(req.getDeviceId())) {
            throw status(Status.PERMISSION_DENIED, "device_id '" + req.getDeviceId() + "' differs from the authenticated"
                    + " device id '" + authenticatedId + "'");
        }
        if (req.getProtocolVersion() > 1) {
            throw status(Status.FAILED_PRECONDITION, "protocol version " + req.getProtocolVersion()
                    + " is newer than this server's (1)");
        }
        String id = authenticatedId;
        Device existing = devices.get(id);
        if (existing != null) {
            // the same device restarting: before training starts nothing is lost; after a missed deadline it rejoins
            if ((round == 0 || existing.dropped || existing.missedLast) && existing.partition == req.getPartitionIndex()) {
                log.accept("device " + id + " re-registered (" + (round == 0 ? "before round 1" : "rejoins at round "
                        + round) + ")");
                return existing.assignment;
            }
            throw status(Status.ALREADY_EXISTS, "device id '" + id + "' is already registered"
                    + (existing.partition == req.getPartitionIndex() ? "" : " with partition " + existing.partition));
        }
        if (devices.size() >= s.fleetSize()) {
            throw status(Status.RESOURCE_EXHAUSTED, "the fleet of " + s.fleetSize() + " devices is full");
        }
        int partition = req.getPartitionIndex();
        if (partition >= s.fleetSize()) {
            throw status(Status.INVALID_ARGUMENT, "partition_index " + Integer.toUnsignedString(partition)
                    + " is out of range: the data is split into " + s.fleetSize() + " partitions (0.." + (s.fleetSize() - 1)
                    + ")");
        }
        for (Device d : devices.values()) {
            if (d.partition == partition) {
                throw status(Status.ALREADY_EXISTS, "partition " + partition + " is already trained by device " + d.id);
            }
        }
        DeviceProfile profile;
        try {
            org.memsfl.grpc.proto.DeviceProfile p = req.getProfile();
            profile = new DeviceProfile(id, p.getMemoryBudgetBytes(), p.getFlopsPerSecond(), p.getUplinkBytesPerSecond(),
                    p.getDownlinkBytesPerSecond(), p.getLatencySeconds());
        } catch (IllegalArgumentException e) {
            throw status(Status.INVALID_ARGUMENT, "profile: " + e.getMessage());
        }
        int cut;
        String reason;
        if (s.cut() > 0) {
            cut = s.cut();
            reason = "cut " + cut + " of " + config.nLayers() + " set by the server (cut)";
        } else {
            DevicePlan plan = Planner.device(planMemory, profile, s.safetyMargin());
            if (!plan.fits()) {
                throw status(Status.FAILED_PRECONDITION, "device " + id + " " + plan.reason());
            }
            // cuts planned at another depth keep their fraction of layers, as the simulator scales them
            cut = planLayers == config.nLayers() ? plan.cut()
                    : (int) Math.round((double) plan.cut() * config.nLayers() / planLayers);
            cut = Math.max(1, Math.min(config.nLayers() - 1, cut));
            reason = plan.reason() + (planLayers == config.nLayers() ? "" : " (planned at " + s.planShape() + ", scaled to "
                    + config.nLayers() + " layers: cut " + cut + ")");
        }
        AdapterSet serverSide = init.slice(cut, config.nLayers(), false).copy();
        server.register(id, new ServerState(cut, loaded.model(), serverSide,
                new AdamW(serverSide.namedParameters(), AdamW.Settings.defaults())));
        Assignment a = assignment(id, cut, reason);
        devices.put(id, new Device(id, cut, partition, reason, profile, a));
        log.accept(String.format(Locale.ROOT, "registered %s (partition %d): %s [%d/%d]", id, partition, reason,
                devices.size(), s.fleetSize()));
        if (devices.size() == s.fleetSize() && round == 0) {
            for (Device d : devices.values()) {
                d.adapters = AdapterWire.encode(codec, init.slice(0, d.cut, true));
            }
            openRound(1);
        }
        return a;
    }

    private Assignment assignment(String id, int cut, String reason) {
        LoraConfig l = lora;
        return Assignment.newBuilder().setDeviceId(id).setCutLayer(cut).setNumLayers(config.nLayers()).setCutReason(reason)
                .setLora(LoraSettings.newBuilder().setRank(l.rank()).setAlpha(l.alpha()).setDropout(l.dropout())
                        .addAllTargets(l.targets()))
                .setModelSpec(s.model()).setModelId(loaded.id()).putAllWeightSha256(weightHashes)
                .setRounds(s.rounds()).setLocalSteps(s.localSteps()).setBatchSize(s.batchSize()).setSeqLen(seqLen)
                .setLr(s.lr()).setWarmupSteps(s.warmup()).setMaxGradNorm(s.maxGradNorm()).setSeed(s.seed())
                .setPartitioner(s.partitioner()).setNumPartitions(s.fleetSize()).setWireDtype(TensorCodec.wire(s.wire()))
                .setMaxChunkBytes(s.maxChunkBytes()).setStepTimeoutMs((int) s.stepTimeout().toMillis())
                .setRoundTimeoutMs((int) s.roundTimeout().toMillis()).build();
    }

    private Device device(String id) {
        Device d = devices.get(id);
        if (d == null) {
            throw status(Status.FAILED_PRECONDITION, "device " + id + " has not registered");
        }
        return d;
    }

    // ------------------------------------------------------------------ adapters for a round

    /**
     * Completes when round {@code requested} is open (or training is past it) with the device-side adapters of the
     * current round. A device that asks for a round already past gets the current one: it rejoins there.
     */
    CompletableFuture<AdaptersReply> adapters(String id, int requested) {
        return onWorker(() -> {
            device(id);
            if (requested < 1 || requested > s.rounds() + 1) {
                throw status(Status.INVALID_ARGUMENT, "round " + Integer.toUnsignedString(requested)
                        + " is out of range: rounds run 1.." + s.rounds() + ", and " + (s.rounds() + 1)
                        + " asks for the final adapters");
            }
            Device d = devices.get(id);
            // after --resume a device may ask for the round after the one the crash took from it: it redoes this one
            boolean lost = resumedRound > 0 && round == resumedRound && requested == round + 1 && d.upload == null
                    && d.stepsDone == 0 && !d.dropped;
            if (requested <= round || lost) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            return opened.computeIfAbsent(requested, k -> new CompletableFuture<>());
        }).thenCompose(f -> f).thenApplyAsync(v -> {
            Device d = device(id);
            boolean done = round > s.rounds();
            if (done) {
                d.fetchedFinal = true;
            }
            long count = d.adapters.stream().filter(c -> c.getChunkIndex() == 0).count();
            AdaptersHeader h = AdaptersHeader.newBuilder().setRound(round).setTensorCount((int) count)
                    .setTrainingFinished(done).build();
            return new AdaptersReply(h, d.adapters);
        }, worker);
    }

    // ------------------------------------------------------------------ local steps

    /** A device's local step has arrived (worker thread): it waits for the server, which the scheduler hands it to. */
    void arrive(String id, int stepRound, int localStep, Map<String, TensorCodec.Decoded> t, StepSink sink,
                AtomicLong seq) {
        queue.add(new StepQueue.Waiting<>(id, localStep, (System.nanoTime() - roundStartNanos) / 1e9,
                new StepWork(stepRound, t, sink, seq)));
        // queued behind every arrival already on the worker's queue: the choice sees all steps that came in meanwhile
        worker.execute(this::serveNext);
    }

    private void serveNext() {
        StepQueue.Waiting<StepWork> w = queue.next();
        if (w != null) {
            roundServeOrder.add(w.deviceId() + ":" + w.localStep());
            StepWork k = w.work();
            step(w.deviceId(), k.round(), w.localStep(), k.tensors(), k.sink(), k.seq());
            if (!queue.holds(w.deviceId())) {
                Runnable then = afterServed.remove(w.deviceId());
                if (then != null) {
                    then.run();
                }
            }
        }
    }

    /** Runs {@code then} on the worker once no step of {@code id} waits any more (e.g. to end its stream). */
    void whenServed(String id, Runnable then) {
        worker.execute(() -> {
            if (queue.holds(id)) {
                afterServed.put(id, then);
            } else {
                then.run();
            }
        });
    }

    /** Serves one local step of one device (worker thread): validate, server segment, gradient back. */
    void step(String id, int stepRound, int localStep, Map<String, TensorCodec.Decoded> t, StepSink sink,
              AtomicLong seq) {
        if (sink.closed()) {
            return;
        }
        try {
            Device d = device(id);
            checkRound(d, stepRound, "activations");
            if (localStep != d.stepsDone + 1 || localStep > s.localSteps()) {
                throw status(Status.FAILED_PRECONDITION, "device " + id + " sent local step " + localStep + " of round "
                        + stepRound + " but the server expects step " + (d.stepsDone + 1) + " of " + s.localSteps());
            }
            GradientPayload g;
            List<TensorChunk> chunks;
            ServerState st = server.state(id);
            ActivationPayload p = payload(d, t);
            try (NativeScope scope = new NativeScope()) {
                g = server.process(p, schedule.at(st.optimizer().steps() + 1), s.maxGradNorm());
                try {
                    chunks = codec.encode("grad", g.grad(), s.wire());
                } finally {
                    g.grad().close();
                }
            } finally {
                // owned by this step (decoded outside any scope): the server holds one device's activations at a time
                p.hidden().close();
                p.targets().close();
            }
            d.stepsDone++;
            roundActivationBytes += t.get("hidden").data().length;
            roundGradientBytes += TensorCodec.dataBytes(chunks);
            lossSum += g.loss() * g.targetTokens();
            lossTokens += g.targetTokens();
            for (TensorChunk c : chunks) {
                sink.send(GradientMessage.newBuilder().setRound(stepRound).setLocalStep(localStep)
                        .setSeq(seq.getAndIncrement()).setChunk(c).setLossNats(g.loss()).setTargetTokens(g.targetTokens())
                        .build());
            }
        } catch (StatusRuntimeException e) {
            log.accept("refused a step of " + id + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription());
            sink.fail(e);
        } catch (RuntimeException e) {
            log.accept("step of " + id + " failed: " + e);
            sink.fail(status(Status.INTERNAL, "server step failed: " + e.getMessage()));
        }
    }

    private void checkRound(Device d, int msgRound, String what) {
        if (round == 0) {
            throw status(Status.FAILED_PRECONDITION, "round 1 has not started: " + devices.size() + " of " + s.fleetSize()
                    + " devices registered");
        }
        if (round > s.rounds()) {
            throw status(Status.FAILED_PRECONDITION, "training finished after round " + s.rounds());
        }
        if (msgRound != round) {
            throw status(Status.FAILED_PRECONDITION, "stale " + what + " of round " + msgRound + ": the server is in round "
                    + round);
        }
        if (d.dropped) {
            throw status(Status.FAILED_PRECONDITION, "device " + d.id + " was left out of round " + round
                    + " after its deadline; it may rejoin at round " + (round + 1));
        }
    }

    /** The step's tensors checked against the assignment; hostile values never reach libtorch. */
    private ActivationPayload payload(Device d, Map<String, TensorCodec.Decoded> t) {
        TensorCodec.Decoded targets = t.get("targets").requireDtype("targets", DType.I64)
                .requireShape("targets", s.batchSize(), -1);
        long tokens = targets.shape()[1];
        if (tokens < 1 || tokens > seqLen) {
            throw TensorCodec.invalid("targets have " + tokens + " positions per row; expected 1.." + seqLen);
        }
        TensorCodec.Decoded lengths = t.get("lengths").requireDtype("lengths", DType.I32)
                .requireShape("lengths", s.batchSize());
        TensorCodec.Decoded hidden = t.get("hidden").requireDtype("hidden", s.wire())
                .requireShape("hidden", s.batchSize(), tokens, config.dim());
        int[] lens = lengths.toInts();
        for (int len : lens) {
            if (len < 1 || len > tokens) {
                throw TensorCodec.invalid("lengths hold " + len + "; each must be in [1, " + tokens + "]");
            }
        }
        for (long y : targets.toLongs()) {
            if (y != Loss.IGNORE && (y < 0 || y >= config.vocabSize())) {
                throw TensorCodec.invalid("targets hold token id " + y + "; expected " + Loss.IGNORE + " or 0.."
                        + (config.vocabSize() - 1));
            }
        }
        Tensor h = hidden.toFloat32();
        Tensor y;
        try {
            y = targets.toInt64();
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        return new ActivationPayload(d.id, d.cut, h, y, lens);
    }

    // ------------------------------------------------------------------ uploads and aggregation

    /** Takes a device's adapters after its local steps (worker thread); aggregates when the round is complete. */
    PutAdaptersReply upload(String id, PutAdaptersHeader h, Map<String, TensorCodec.Decoded> tensors) {
        Device d = device(id);
        checkRound(d, h.getRound(), "adapters");
        if (d.stepsDone != s.localSteps()) {
            throw status(Status.FAILED_PRECONDITION, "device " + id + " uploaded after " + d.stepsDone + " of "
                    + s.localSteps() + " local steps of round " + round);
        }
        if (d.upload != null) {
            throw status(Status.ALREADY_EXISTS, "device " + id + " already uploaded its adapters for round " + round);
        }
        if (h.getNumExamples() <= 0) {
            throw status(Status.INVALID_ARGUMENT, "num_examples must be > 0, got " + h.getNumExamples());
        }
        d.upload = AdapterWire.decode(tensors, lora, config, AdapterWire.deviceKeys(lora, d.cut));
        d.numExamples = h.getNumExamples();
        d.peakRss = Math.max(d.peakRss, h.getPeakRssBytes());
        d.rssBefore = h.getRssBeforeModelBytes();
        d.missedLast = false;
        int r = round;
        if (devices.values().stream().allMatch(x -> x.upload != null || x.dropped)) {
            finishRound();
        }
        return PutAdaptersReply.newBuilder().setRound(r).setAccepted(true).build();
    }

    /** Round timeout: devices that have not uploaded are left out and the round is aggregated without them. */
    private void timeout(int r) {
        if (round != r) {
            return;
        }
        List<String> late = new ArrayList<>();
        for (Device d : devices.values()) {
            if (d.upload == null) {
                d.dropped = true;
                late.add(d.id);
            }
        }
        log.accept("round " + r + " deadline passed; left out: " + late);
        finishRound();
    }

    /**
     * Aggregates the round over the devices that uploaded, as the simulator's memsfl method does: one
     * {@link ClientUpdate} per device with its device side and its server side, the strategy's result assigned back
     * into both in place (server-side tensors keep their optimizer), the global set copied.
     */
    private void finishRound() {
        List<ClientUpdate> updates = new ArrayList<>();
        List<String> participants = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (Device d : devices.values()) {
            if (d.upload != null) {
                updates.add(new ClientUpdate(d.id, d.cut, d.numExamples, d.upload, server.state(d.id).adapters()));
                participants.add(d.id);
            } else {
                dropped.add(d.id);
            }
        }
        if (!updates.isEmpty()) {
            AdapterSet aggregated = aggregation.aggregateInPlace(updates);
            global.close();
            global = aggregated;
        }
        int n = config.nLayers();
        Map<String, AdapterSet> next = new LinkedHashMap<>(); // device-side adapters each device starts the next round with
        for (Device d : devices.values()) {
            if (d.upload == null) {
                // left out: it restarts from the aggregate on both sides, as a fresh participant would
                server.state(d.id).adapters().assign(global.slice(d.cut, n, false));
                next.put(d.id, global.slice(0, d.cut, true));
                d.missedRounds.add(round);
                d.missedLast = true;
            } else {
                next.put(d.id, d.upload);
            }
        }
        if (!evalBatches.isEmpty()) {
            lastEvalLoss = Evaluator.evaluate(loaded.model(), global, evalBatches).loss();
        }
        double seconds = (System.nanoTime() - roundStartNanos) / 1e9;
        roundSeconds.add(seconds);
        long up = bytesUp.get();
        long down = bytesDown.get();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", "memsfl");
        m.put("round", round);
        m.put("train_loss", lossTokens == 0 ? null : lossSum / lossTokens);
        m.put("eval_loss", Double.isNaN(lastEvalLoss) ? null : lastEvalLoss);
        m.put("round_wall_s", seconds);
        m.put("wall_s", wallSeconds());
        m.put("bytes_up", up - roundBytesUpMark);
        m.put("bytes_down", down - roundBytesDownMark);
        m.put("activation_bytes", roundActivationBytes);
        m.put("gradient_bytes", roundGradientBytes);
        m.put("wire_dtype", s.wire().name());
        m.put("server_rss_bytes", ProcessMemory.rssBytes());
        m.put("server_peak_rss_bytes", ProcessMemory.peakRssBytes());
        m.put("scheduler", s.scheduler());
        m.put("serve_order", List.copyOf(roundServeOrder));
        m.put("participants", participants);
        m.put("dropped", dropped);
        // the checkpoint comes before anything of this round becomes visible: a crash after it loses nothing
        Checkpoint.write(s.out(), checkpointState(m, next));
        Json.appendLine(s.out().resolve("metrics.jsonl"), m);
        for (Device d : devices.values()) {
            d.adapters = AdapterWire.encode(codec, next.get(d.id));
            if (d.upload != null) {
                d.upload.close();
                d.upload = null;
            }
            d.stepsDone = 0;
            d.dropped = false;
        }
        log.accept(String.format(Locale.ROOT, "round %d/%d: train loss %s, eval loss %s, %.1f s, %d B up, %d B down%s",
                round, s.rounds(), fmt(lossTokens == 0 ? Double.NaN : lossSum / lossTokens), fmt(lastEvalLoss), seconds,
                up - roundBytesUpMark, down - roundBytesDownMark, dropped.isEmpty() ? "" : ", left out " + dropped));
        if (round == s.rounds()) {
            finish();
        }
        openRound(round + 1);
    }

    private double wallSeconds() {
        return wallBeforeResume + (System.nanoTime() - startNanos) / 1e9;
    }

    /** This round's state for {@link Checkpoint} (tensors are shared, not copied: it is written at once). */
    private Checkpoint.State checkpointState(Map<String, Object> metricsLine, Map<String, AdapterSet> next) {
        List<Checkpoint.DeviceState> ds = new ArrayList<>();
        for (Device d : devices.values()) {
            ServerState st = server.state(d.id);
            ds.add(new Checkpoint.DeviceState(d.id, d.cut, d.partition, d.reason, d.profile, d.missedRounds, d.missedLast,
                    d.peakRss, d.rssBefore, st.optimizer().steps(), st.adapters(), st.optimizer().state(),
                    next.get(d.id)));
        }
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("bytes_up", bytesUp.get());
        totals.put("bytes_down", bytesDown.get());
        totals.put("activation_bytes", activationBytes + roundActivationBytes);
        totals.put("gradient_bytes", gradientBytes + roundGradientBytes);
        totals.put("round_seconds", roundSeconds);
        totals.put("last_eval_loss", Double.isNaN(lastEvalLoss) ? null : lastEvalLoss);
        totals.put("wall_s", wallSeconds());
        return new Checkpoint.State(round, s.toMap(), ds, global, totals, metricsLine);
    }

    /** Rebuilds the state of a completed round and opens the next (constructor, before the server serves). */
    private void restore(Checkpoint.State c) {
        Map<String, Object> now = s.toMap();
        List<String> differ = new ArrayList<>();
        for (String k : ServerSettings.TRAINING_KEYS) {
            if (!java.util.Objects.equals(String.valueOf(now.get(k)), String.valueOf(c.settings().get(k)))) {
                differ.add(k + " (checkpoint " + c.settings().get(k) + ", now " + now.get(k) + ")");
            }
        }
        if (!differ.isEmpty()) {
            throw new org.memsfl.util.BadInputException("cannot resume: the settings differ from the checkpoint's in "
                    + String.join(", ", differ));
        }
        if (c.completedRound() > s.rounds()) {
            throw new org.memsfl.util.BadInputException("cannot resume: the checkpoint is after round " + c.completedRound()
                    + " but the run has " + s.rounds() + " rounds");
        }
        for (Checkpoint.DeviceState d : c.devices()) {
            AdamW opt = new AdamW(d.serverSide().namedParameters(), AdamW.Settings.defaults());
            opt.loadState(d.optimizer(), d.serverSteps());
            d.optimizer().values().forEach(Tensor::close);
            server.register(d.id(), new ServerState(d.cut(), loaded.model(), d.serverSide(), opt));
            Device dev = new Device(d.id(), d.cut(), d.partition(), d.reason(), d.profile(),
                    assignment(d.id(), d.cut(), d.reason()));
            dev.adapters = AdapterWire.encode(codec, d.next());
            d.next().close();
            dev.missedRounds.addAll(d.missedRounds());
            dev.missedLast = d.missedLast();
            dev.peakRss = d.peakRss();
            dev.rssBefore = d.rssBefore();
            devices.put(d.id(), dev);
        }
        global.close();
        global = c.global();
        Map<String, Object> t = c.totals();
        bytesUp.set(((Number) t.get("bytes_up")).longValue());
        bytesDown.set(((Number) t.get("bytes_down")).longValue());
        activationBytes = ((Number) t.get("activation_bytes")).longValue();
        gradientBytes = ((Number) t.get("gradient_bytes")).longValue();
        for (Object o : (List<?>) t.get("round_seconds")) {
            roundSeconds.add(((Number) o).doubleValue());
        }
        lastEvalLoss = t.get("last_eval_loss") == null ? Double.NaN : ((Number) t.get("last_eval_loss")).doubleValue();
        wallBeforeResume = ((Number) t.get("wall_s")).doubleValue();
        rewriteMetrics(c.completedRound(), c.metricsLine());
        round = c.completedRound();
        log.accept("resumed after round " + round + " from " + s.out().resolve(Checkpoint.DIR) + " with "
                + devices.size() + " devices " + devices.keySet());
        if (round == s.rounds()) {
            finish();
        }
        resumedRound = round + 1;
        openRound(round + 1);
    }

    /** metrics.jsonl as of the checkpoint: earlier rounds' lines kept, the checkpoint's own line restored. */
    private void rewriteMetrics(int completed, Map<String, Object> line) {
        java.nio.file.Path f = s.out().resolve("metrics.jsonl");
        StringBuilder sb = new StringBuilder();
        try {
            if (Files.exists(f)) {
                for (String l : Files.readAllLines(f)) {
                    if (!l.isBlank() && Json.MAPPER.readTree(l).path("round").asInt() < completed) {
                        sb.append(l).append('\n');
                    }
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
        sb.append(Json.compact(line)).append('\n');
        org.memsfl.util.AtomicFiles.writeString(f, sb.toString());
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    private void openRound(int r) {
        round = r;
        roundStartNanos = System.nanoTime();
        roundBytesUpMark = bytesUp.get();
        roundBytesDownMark = bytesDown.get();
        lossSum = 0;
        lossTokens = 0;
        activationBytes += roundActivationBytes;
        gradientBytes += roundGradientBytes;
        roundActivationBytes = 0;
        roundGradientBytes = 0;
        opened.forEach((k, f) -> {
            if (k <= r) {
                f.complete(null);
            }
        });
        if (r <= s.rounds()) {
            // each device's server-side dropout draws come from its own stream, fixed by (seed, device, round)
            devices.keySet().forEach(id -> server.state(id).beginRound(s.seed(), id, r));
            Map<String, StepTiming> timings = new LinkedHashMap<>();
            devices.values().forEach(d -> timings.put(d.id, delay.step(d.profile, serverProfile, d.cut, s.serverRecompute())));
            queue.beginRound(r, timings);
            roundServeOrder.clear();
            log.accept("round " + r + "/" + s.rounds() + " open");
            timer.schedule(() -> worker.execute(() -> timeout(r)), s.roundTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void finish() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(AdapterIO.META_MODEL, loaded.id());
        meta.put(AdapterIO.META_MODEL_FAMILY, config.family().name().toLowerCase(Locale.ROOT));
        meta.put("method", "memsfl");
        meta.put("transport", "grpc");
        AdapterIO.save(global, s.out().resolve("adapter"), meta);
        double wall = wallSeconds();
        Map<String, Object> memsfl = new LinkedHashMap<>();
        long serverPeak = ProcessMemory.peakRssBytes();
        memsfl.put("server_peak_bytes", serverPeak);
        Map<String, Long> devicePeaks = new TreeMap<>();
        Map<String, Object> deviceMemory = new TreeMap<>();
        List<String> droppedAny = new ArrayList<>();
        for (Device d : devices.values()) {
            devicePeaks.put(d.id, d.peakRss);
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("cut", d.cut);
            dm.put("peak_rss_bytes", d.peakRss);
            dm.put("rss_before_model_bytes", d.rssBefore);
            dm.put("missed_rounds", d.missedRounds);
            deviceMemory.put(d.id, dm);
            if (!d.missedRounds.isEmpty()) {
                droppedAny.add(d.id);
            }
        }
        memsfl.put("device_peak_bytes", devicePeaks);
        memsfl.put("round_time_s", roundSeconds.stream().mapToDouble(Double::doubleValue).average().orElse(0));
        memsfl.put("wall_s", wall);
        memsfl.put("final_eval_loss", Double.isNaN(lastEvalLoss) ? null : lastEvalLoss);
        memsfl.put("bytes_up", bytesUp.get());
        memsfl.put("bytes_down", bytesDown.get());
        memsfl.put("activation_bytes", activationBytes + roundActivationBytes);
        memsfl.put("gradient_bytes", gradientBytes + roundGradientBytes);
        memsfl.put("dropped_devices", droppedAny);
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("measured", true);
        memory.put("server_rss_before_model_bytes", rssBeforeModel);
        memory.put("server_peak_rss_bytes", serverPeak);
        memory.put("server_model_bytes", loaded.model().bytesByDtype());
        memory.put("server_model_bytes_by_category", loaded.model().bytesByPart());
        memory.put("devices", deviceMemory);
        memsfl.put("memory", memory);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("methods", Map.of("memsfl", memsfl));
        Map<String, Object> settings = new LinkedHashMap<>(s.toMap());
        settings.put("transport", "grpc");
        summary.put("settings", settings);
        Map<String, Integer> cuts = new LinkedHashMap<>();
        devices.values().forEach(d -> cuts.put(d.id, d.cut));
        summary.put("cuts", cuts);
        summary.put("finished_at", Instant.now().toString());
        Json.write(s.out().resolve("summary.json"), summary);
        log.accept(String.format(Locale.ROOT, "training finished: %d rounds in %.1f s; wrote %s (adapter/, metrics.jsonl,"
                + " summary.json, manifest.json)", s.rounds(), wall, s.out()));
        finished.complete(summary);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            worker.submit(() -> {
                for (Device d : devices.values()) {
                    if (d.upload != null) {
                        d.upload.close();
                    }
                }
                for (ServerState st : server.states().values()) {
                    st.optimizer().close();
                    st.adapters().close();
                }
                global.close();
                init.close();
                loaded.close();
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

    /** Round currently open (0 before round 1, rounds + 1 after the last). */
    int round() {
        return round;
    }

    /** Activation messages a step consists of. */
    static final java.util.Set<String> STEP_TENSORS = java.util.Set.of("targets", "lengths", "hidden");

    /** For the service: the round an activation message claims must be a plausible number. */
    static void checkStepHeader(ActivationMessage m) {
        if (m.getRound() < 1 || m.getLocalStep() < 1) {
            throw TensorCodec.invalid("activation message with round " + m.getRound() + " and local step "
                    + m.getLocalStep() + "; both count from 1");
        }
    }
}
