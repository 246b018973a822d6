package org.memsfl.grpc;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.memsfl.chat.PromptEncoder;
import org.memsfl.data.DataResolver;
import org.memsfl.split.WireFormat;
import org.memsfl.data.Dataset;
import org.memsfl.data.TokenizedExample;
import org.memsfl.engine.DType;
import org.memsfl.fleet.DeviceProfile;
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
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import org.memsfl.round.DeviceData;
import org.memsfl.round.RoundSettings;
import org.memsfl.round.SplitDevice;
import org.memsfl.train.StepResult;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import org.memsfl.util.ProcessMemory;

/**
 * A device process (DESIGN.md section 7): registers, loads ONLY its segment (embedding + layers [0, cut)) and its own
 * data partition, and drives the core round's {@link SplitDevice} -- the object the simulator drives -- per round:
 * fetches its adapters, runs its local steps with the server reached over a {@link StepStream}, and uploads. Raw data and
 * token ids never leave the process.
 */
public final class DeviceClient {

    /**
     * What a device reports when training is over.
     *
     * @param finalAdapters the final aggregated device-side adapters (the caller closes them)
     */
    public record Report(String deviceId, int cut, List<Integer> roundsTrained, List<Integer> missedRounds,
                         double lastTrainLoss, long bytesUp, long bytesDown, long peakRssBytes, long rssBeforeModelBytes,
                         AdapterSet finalAdapters) {
    }

    private final DeviceSettings s;
    private final SplitFederationGrpc.SplitFederationBlockingStub blocking;
    private final SplitFederationGrpc.SplitFederationStub async;
    private final Consumer<String> log;
    private final Dataset ds; // loaded and checked before the device reaches for the server
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private final Map<String, Long> memoryBytes = new LinkedHashMap<>(); // the segment's bytes by category

    /**
     * @param channel to the edge server (TLS unless the user chose plaintext); the caller owns and closes it
     * @param token   the device's bearer token
     * @throws org.memsfl.util.BadInputException if {@code s.data()} cannot be read or has no training example; checked
     *                                           here, before any call to the server
     */
    public DeviceClient(DeviceSettings s, Channel channel, String token, Consumer<String> log) {
        this.s = s;
        DeviceCredentials creds = new DeviceCredentials(s.deviceId(), token);
        this.blocking = SplitFederationGrpc.newBlockingStub(channel).withCallCredentials(creds);
        this.async = SplitFederationGrpc.newStub(channel).withCallCredentials(creds);
        this.log = msg -> log.accept(s.deviceId() + ": " + msg);
        // local inputs first, before any network: a device with bad data must not wait for a server, nor take a slot
        // in the fleet it cannot fill
        this.ds = DataResolver.resolve(s.data());
        if (ds.train().isEmpty()) {
            throw new BadInputException("dataset " + ds.name() + " has no training example");
        }
    }

    /** Trains until the server finishes; fatal errors (refused registration, lost server) are thrown. */
    public Report run() {
        long rssBefore = ProcessMemory.rssBytes();
        Assignment a = register();
        int cut = a.getCutLayer();
        log.accept(String.format(Locale.ROOT, "assigned cut %d of %d (%s); %d rounds x %d local steps, wire %s",
                cut, a.getNumLayers(), a.getCutReason(), a.getRounds(), a.getLocalSteps(), a.getWireDtype()));
        LoraConfig lora = new LoraConfig(a.getLora().getRank(), a.getLora().getAlpha(), a.getLora().getDropout(),
                a.getLora().getTargetsList());
        TensorCodec codec = new TensorCodec(a.getMaxChunkBytes(), TensorCodec.DEFAULT_MAX_TENSOR_BYTES);
        WireFormat wire = TensorCodec.wireFormat(a.getWireDtype());
        DType compute = a.getComputeDtype().isEmpty() ? DType.F32 : DType.parse(a.getComputeDtype());
        try (LoadedModel segment = ModelResolver.resolve(a.getModelSpec(), LayerRange.deviceSegment(cut), compute)) {
            Map<String, String> bad = ModelFingerprint.mismatches(segment.model(), a.getWeightSha256Map());
            if (!bad.isEmpty()) {
                throw new BadInputException("model '" + a.getModelSpec() + "' resolves here to other weights than the"
                        + " server's " + a.getModelId() + ": " + bad);
            }
            memoryBytes.putAll(segment.model().bytesByPart());
            log.accept(String.format(Locale.ROOT, "loaded %s layers [0, %d) + embedding: %d parameters, RSS %.1f MiB",
                    segment.id(), cut, segment.model().parameterCount(), ProcessMemory.rssBytes() / 1048576.0));
            List<TokenizedExample> examples = partition(a, segment, ds);
            BatchStream batches = new BatchStream(examples, a.getBatchSize(), a.getSeqLen(),
                    DeviceData.batchSeed(a.getSeed(), s.partitionIndex()));
            return train(a, lora, codec, wire, segment, batches, examples.size(), rssBefore);
        }
    }

    private Assignment register() {
        DeviceProfile p = s.profile();
        RegisterRequest req = RegisterRequest.newBuilder().setDeviceId(p.id()).setPartitionIndex(s.partitionIndex())
                .setProtocolVersion(1)
                .setProfile(org.memsfl.grpc.proto.DeviceProfile.newBuilder().setMemoryBudgetBytes(p.memoryBudgetBytes())
                        .setFlopsPerSecond(p.flopsPerSecond()).setUplinkBytesPerSecond(p.uplinkBytesPerSecond())
                        .setDownlinkBytesPerSecond(p.downlinkBytesPerSecond()).setLatencySeconds(p.latencySeconds()))
                .build();
        bytesUp.addAndGet(req.getSerializedSize());
        // wait-for-ready: a device started before its server waits for it (within the deadline) instead of failing
        Assignment a = blocking.withWaitForReady().withDeadlineAfter(s.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .register(req);
        bytesDown.addAndGet(a.getSerializedSize());
        return a;
    }

    /** This device's partition, tokenised exactly as the simulator tokenises it. */
    private List<TokenizedExample> partition(Assignment a, LoadedModel segment, Dataset ds) {
        if (s.partitionIndex() >= a.getNumPartitions()) {
            throw new BadInputException("partition index " + s.partitionIndex() + " is out of range: the fleet splits the data"
                    + " into " + a.getNumPartitions() + " partitions (0.." + (a.getNumPartitions() - 1) + ")");
        }
        // the server's --template (checked against this device's own copy of the model and its --template)
        PromptEncoder encoder = new PromptEncoder(segment.requireTokenizer(), a.getSeqLen(),
                TemplateSync.resolve(a, s.template()));
        List<TokenizedExample> mine = DeviceData.partition(ds, a.getPartitioner(), a.getNumPartitions(),
                s.partitionIndex(), a.getSeed(), encoder);
        if (mine.isEmpty()) {
            throw new BadInputException("partition " + s.partitionIndex() + " of " + ds.name() + " has no usable example");
        }
        log.accept("data " + ds.name() + ", partition " + s.partitionIndex() + " of " + a.getNumPartitions() + " ("
                + a.getPartitioner() + "): " + mine.size() + " examples"
                + (encoder.usesChatTemplate() ? ", chat template " + encoder.template().name() : ""));
        return mine;
    }

    /** Errors after which the server is gone for now: the device redoes the round once the server is back. */
    private static final java.util.Set<Status.Code> SERVER_LOST = java.util.Set.of(Status.Code.UNAVAILABLE,
            Status.Code.CANCELLED, Status.Code.UNKNOWN);

    private Report train(Assignment a, LoraConfig lora, TensorCodec codec, WireFormat wire, LoadedModel segment,
                         BatchStream batches, long numExamples, long rssBefore) {
        int cut = a.getCutLayer();
        RoundSettings rs = new RoundSettings(a.getRounds(), a.getLocalSteps(), a.getLr(), a.getWarmupSteps(),
                a.getMaxGradNorm(), a.getSeed());
        List<Integer> trained = new ArrayList<>();
        List<Integer> missed = new ArrayList<>();
        double lastLoss = Double.NaN;
        SplitDevice device = null;
        DeviceRoundStart roundStart = null;
        String identity = DeviceRoundStart.identity(s, a);
        AdapterSet finalAdapters;
        int want = 1;
        try {
            while (true) {
                Fetched f = fetch(want, a, lora, codec, segment);
                if (f.finished) {
                    finalAdapters = f.adapters;
                    break;
                }
                if (device == null) {
                    device = new SplitDevice(s.deviceId(), cut, segment.model(), f.adapters, rs);
                    long loraBytes = device.adapters().numParameters() * 4;
                    memoryBytes.put("lora", loraBytes);
                    memoryBytes.put("lora_grads", loraBytes);
                    memoryBytes.put("optimizer_state", 2 * loraBytes); // AdamW's two moments
                }
                int r = f.round;
                String key = s.outDir() == null ? identity : DeviceRoundStart.key(identity, f.adapters);
                device.beginRound(r, f.adapters); // the round's adapters; dropout draws of round r, the same on a redo
                if (f.adapters != device.adapters()) {
                    f.adapters.close();
                }
                if (roundStart == null && s.outDir() != null) {
                    roundStart = DeviceRoundStart.load(s.outDir(), r, key, log); // this process was started again
                }
                if (roundStart != null && roundStart.round() == r) {
                    // the server lost this round (it crashed and resumed from its last checkpoint), or this device
                    // was killed inside it: redo it exactly
                    roundStart.restore(batches, device);
                    trained.remove(Integer.valueOf(r));
                    log.accept("redoing round " + r + " from its start");
                } else {
                    if (roundStart != null) {
                        roundStart.close();
                    }
                    roundStart = DeviceRoundStart.of(r, key, batches, device);
                    roundStart.saveTo(s.outDir(), log);
                }
                long upMark = bytesUp.get();
                long downMark = bytesDown.get();
                long start = System.nanoTime();
                want = r + 1;
                try {
                    lastLoss = localSteps(a, codec, wire, device, batches, r);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    upload(a, codec, device, r, numExamples, rssBefore, seconds);
                    trained.add(r);
                    metrics(r, lastLoss, seconds, bytesUp.get() - upMark, bytesDown.get() - downMark);
                } catch (StatusRuntimeException e) {
                    Status.Code c = e.getStatus().getCode();
                    if (SERVER_LOST.contains(c)) {
                        log.accept("lost the server in round " + r + " (" + c + ": " + e.getStatus().getDescription()
                                + "); will redo round " + r + " when it is back");
                        want = r;
                    } else if (c == Status.Code.FAILED_PRECONDITION || c == Status.Code.DEADLINE_EXCEEDED) {
                        missed.add(r);
                        log.accept("left out of round " + r + ": " + e.getStatus().getDescription()
                                + "; rejoining at round " + (r + 1));
                    } else {
                        throw e;
                    }
                }
            }
        } finally {
            if (roundStart != null) {
                roundStart.close();
            }
            if (device != null) {
                device.close();
            }
        }
        Report report = new Report(s.deviceId(), cut, trained, missed, lastLoss, bytesUp.get(), bytesDown.get(),
                ProcessMemory.peakRssBytes(), rssBefore, finalAdapters);
        writeSummary(report, a);
        log.accept(String.format(Locale.ROOT, "done: trained rounds %s%s, %d B up, %d B down, peak RSS %.1f MiB", trained,
                missed.isEmpty() ? "" : ", missed " + missed, report.bytesUp(), report.bytesDown(),
                report.peakRssBytes() / 1048576.0));
        return report;
    }

    /** One round's local steps over one Train stream; returns the token-weighted mean loss. */
    private double localSteps(Assignment a, TensorCodec codec, WireFormat wire, SplitDevice device, BatchStream batches, int r) {
        double sum = 0;
        long tokens = 0;
        long streamDeadlineMs = a.getRoundTimeoutMs() > 0 ? a.getRoundTimeoutMs() : Duration.ofHours(2).toMillis();
        long stepTimeoutMs = a.getStepTimeoutMs() > 0 ? a.getStepTimeoutMs() : Duration.ofMinutes(10).toMillis();
        try (StepStream stream = new StepStream(async.withDeadlineAfter(streamDeadlineMs, TimeUnit.MILLISECONDS), codec,
                wire, r, stepTimeoutMs, bytesUp, bytesDown)) {
            for (int step = 1; step <= a.getLocalSteps(); step++) {
                int k = step;
                StepResult res = device.localStep(batches.next(), p -> stream.exchange(k, p));
                sum += res.loss() * res.targetTokens();
                tokens += res.targetTokens();
                log.accept(String.format(Locale.ROOT, "round %d/%d step %d/%d: loss %.4f", r, a.getRounds(), step,
                        a.getLocalSteps(), res.loss()));
            }
            stream.finish();
        }
        return tokens == 0 ? Double.NaN : sum / tokens;
    }

    private void upload(Assignment a, TensorCodec codec, SplitDevice device, int r, long numExamples, long rssBefore,
                        double seconds) {
        List<TensorChunk> chunks = AdapterWire.encode(codec, device.adapters());
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
        log.accept("uploaded adapters of round " + r + " (" + numExamples + " examples)");
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

    /** A round's adapters as fetched. */
    private record Fetched(int round, boolean finished, AdapterSet adapters) {
    }

    /** GetAdapters for {@code round}, asked again with short deadlines until the round opens or the join timeout. */
    private Fetched fetch(int round, Assignment a, LoraConfig lora, TensorCodec codec, LoadedModel segment) {
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
                List<String> keys = AdapterWire.deviceKeys(lora, a.getCutLayer());
                TensorGroup group = new TensorGroup(codec, "adapters of round " + h.getRound(), h.getTensorCount(),
                        AdapterWire.tensorNames(keys));
                while (it.hasNext()) {
                    AdaptersMessage m = it.next();
                    bytesDown.addAndGet(m.getSerializedSize());
                    group.accept(m.getChunk());
                }
                AdapterSet set = AdapterWire.decode(group.requireComplete(), lora, segment.config(), keys);
                if (!h.getTrainingFinished()) {
                    log.accept("round " + h.getRound() + "/" + a.getRounds() + " starts");
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

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }

    private void metrics(int r, double loss, double seconds, long up, long down) {
        if (s.outDir() == null) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", s.deviceId());
        m.put("round", r);
        m.put("train_loss", Double.isNaN(loss) ? null : loss);
        m.put("round_wall_s", seconds);
        m.put("bytes_up", up);
        m.put("bytes_down", down);
        m.put("rss_bytes", ProcessMemory.rssBytes());
        m.put("peak_rss_bytes", ProcessMemory.peakRssBytes());
        Json.appendLine(s.outDir().resolve("metrics.jsonl"), m);
    }

    private void writeSummary(Report r, Assignment a) {
        if (s.outDir() == null) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", r.deviceId());
        m.put("cut", r.cut());
        m.put("model", a.getModelId());
        m.put("data", s.data());
        m.put("partition", s.partitionIndex());
        m.put("rounds_trained", r.roundsTrained());
        m.put("missed_rounds", r.missedRounds());
        m.put("last_train_loss", Double.isNaN(r.lastTrainLoss()) ? null : r.lastTrainLoss());
        m.put("bytes_up", r.bytesUp());
        m.put("bytes_down", r.bytesDown());
        m.put("peak_rss_bytes", r.peakRssBytes());
        m.put("rss_before_model_bytes", r.rssBeforeModelBytes());
        m.put("memory_bytes_by_category", memoryBytes);
        Json.write(s.outDir().resolve("summary.json"), m);
        if (r.finalAdapters() != null && !r.finalAdapters().isEmpty()) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(AdapterIO.META_MODEL, a.getModelId());
            meta.put("device", r.deviceId());
            meta.put("side", "device layers [0, " + r.cut() + ")");
            AdapterIO.save(r.finalAdapters(), s.outDir().resolve("adapter"), meta);
        }
    }
}
