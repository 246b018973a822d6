package org.memsfl.grpc;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.memsfl.chat.PromptEncoder;
import org.memsfl.data.DataResolver;
import org.memsfl.data.Dataset;
import org.memsfl.data.TokenizedExample;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import org.memsfl.round.DeviceData;
import org.memsfl.round.SplitDevice;
import org.memsfl.train.StepResult;
import org.memsfl.util.BadInputException;
import org.memsfl.util.ProcessMemory;

/**
 * A device process (DESIGN.md section 7): registers, loads ONLY its segment (embedding + layers [0, cut)) and its own
 * data partition, and drives the core round's {@link SplitDevice} -- the object the simulator drives -- per round:
 * fetches its adapters, runs its local steps with the server reached over a {@link StepStream}, and uploads. Raw data and
 * token ids never leave the process.
 *
 * <p>This class is the process's course through the rounds (which round to ask for, redoing a round the server lost,
 * rejoining after one it was left out of). The calls and their deadlines are {@link ServerLink}'s, the round-start
 * state that makes a redo exact is {@link DeviceRoundStart}'s, the run's files are {@link DeviceRecords}'.
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

        /** The report's figures under the keys of the device's summary.json and {@code device --json}. */
        public java.util.Map<String, Object> toMap() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("device", deviceId);
            m.put("cut", cut);
            m.put("rounds_trained", roundsTrained);
            m.put("missed_rounds", missedRounds);
            m.put("last_train_loss", Double.isNaN(lastTrainLoss) ? null : lastTrainLoss);
            m.put("bytes_up", bytesUp);
            m.put("bytes_down", bytesDown);
            m.put("peak_rss_bytes", peakRssBytes);
            m.put("rss_before_model_bytes", rssBeforeModelBytes);
            return m;
        }
    }

    private final DeviceSettings s;
    private final ServerLink link;
    private final DeviceRecords records;
    private final Consumer<String> log;
    private final Dataset ds; // loaded and checked before the device reaches for the server
    private final Setting.Names names;

    /**
     * @param channel to the edge server (TLS unless the user chose plaintext); the caller owns and closes it
     * @param token   the device's bearer token
     * @throws org.memsfl.util.BadInputException if {@code s.data()} cannot be read or has no training example; checked
     *                                           here, before any call to the server
     */
    public DeviceClient(DeviceSettings s, Channel channel, String token, Consumer<String> log) {
        this(s, channel, token, log, Setting.FIELDS);
    }

    /** A device client that names the settings in its errors as {@code names} does (the CLI passes its flags). */
    public DeviceClient(DeviceSettings s, Channel channel, String token, Consumer<String> log, Setting.Names names) {
        this.s = s;
        this.names = names;
        this.log = msg -> log.accept(s.deviceId() + ": " + msg);
        this.link = new ServerLink(s, channel, token, this.log);
        this.records = new DeviceRecords(s);
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
        DeviceAssignment a = link.register(new DeviceRegistration(s.profile(), s.partitionIndex()));
        TrainingTerms t = a.terms();
        int cut = a.cut();
        log.accept(String.format(Locale.ROOT, "assigned cut %d of %d (%s); %d rounds x %d local steps, wire %s",
                cut, t.numLayers(), a.cutReason(), t.round().rounds(), t.round().localSteps(),
                TensorCodec.wire(t.wire().dtype())));
        try (LoadedModel segment = ModelResolver.resolve(t.modelSpec(), LayerRange.deviceSegment(cut), t.computeDtype())) {
            Map<String, String> bad = ModelFingerprint.mismatches(segment.model(), t.weightSha256());
            if (!bad.isEmpty()) {
                throw new BadInputException("model '" + t.modelSpec() + "' resolves here to other weights than the"
                        + " server's " + t.modelId() + ": " + bad);
            }
            records.segmentLoaded(segment.model().bytesByPart());
            log.accept(String.format(Locale.ROOT, "loaded %s layers [0, %d) + embedding: %d parameters, RSS %.1f MiB",
                    segment.id(), cut, segment.model().parameterCount(), ProcessMemory.rssBytes() / 1048576.0));
            List<TokenizedExample> examples = partition(t, segment);
            BatchStream batches = new BatchStream(examples, t.batchSize(), t.seqLen(),
                    DeviceData.batchSeed(t.round().seed(), s.partitionIndex()));
            return train(a, segment, batches, examples.size(), rssBefore);
        }
    }

    /** This device's partition, tokenised exactly as the simulator tokenises it. */
    private List<TokenizedExample> partition(TrainingTerms t, LoadedModel segment) {
        if (s.partitionIndex() >= t.numPartitions()) {
            throw new BadInputException("partition index " + s.partitionIndex() + " is out of range: the fleet splits the data"
                    + " into " + t.numPartitions() + " partitions (0.." + (t.numPartitions() - 1) + ")");
        }
        // the server's template choice (checked against this device's own copy of the model and its own choice)
        PromptEncoder encoder = new PromptEncoder(segment.requireTokenizer(), t.seqLen(),
                TemplateSync.resolve(t, s.template(), names));
        List<TokenizedExample> mine = DeviceData.partition(ds, t.partitioner(), t.numPartitions(),
                s.partitionIndex(), t.round().seed(), encoder);
        if (mine.isEmpty()) {
            throw new BadInputException("partition " + s.partitionIndex() + " of " + ds.name() + " has no usable example");
        }
        log.accept("data " + ds.name() + ", partition " + s.partitionIndex() + " of " + t.numPartitions() + " ("
                + t.partitioner() + "): " + mine.size() + " examples"
                + (encoder.usesChatTemplate() ? ", chat template " + encoder.template().name() : ""));
        return mine;
    }

    private Report train(DeviceAssignment a, LoadedModel segment, BatchStream batches, long numExamples,
                         long rssBefore) {
        int cut = a.cut();
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
                ServerLink.Fetched f = link.fetch(want, segment.config());
                if (f.finished()) {
                    finalAdapters = f.adapters();
                    break;
                }
                if (device == null) {
                    device = new SplitDevice(s.deviceId(), cut, segment.model(), f.adapters(), a.terms().round());
                    records.adaptersSized(device.adapters().numParameters());
                }
                int r = f.round();
                String key = s.outDir() == null ? identity : DeviceRoundStart.key(identity, f.adapters());
                device.beginRound(r, f.adapters()); // the round's adapters; dropout draws of round r, the same on a redo
                if (f.adapters() != device.adapters()) {
                    f.adapters().close();
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
                long upMark = link.bytesUp();
                long downMark = link.bytesDown();
                long start = System.nanoTime();
                want = r + 1;
                try {
                    lastLoss = localSteps(a.terms(), device, batches, r);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    link.upload(r, device.adapters(), numExamples, rssBefore, seconds);
                    log.accept("uploaded adapters of round " + r + " (" + numExamples + " examples)");
                    trained.add(r);
                    records.round(r, lastLoss, seconds, link.bytesUp() - upMark, link.bytesDown() - downMark);
                } catch (StatusRuntimeException e) {
                    Status.Code c = e.getStatus().getCode();
                    if (ServerLink.SERVER_LOST.contains(c)) {
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
        Report report = new Report(s.deviceId(), cut, trained, missed, lastLoss, link.bytesUp(), link.bytesDown(),
                ProcessMemory.peakRssBytes(), rssBefore, finalAdapters);
        records.summary(report, a.terms().modelId());
        log.accept(String.format(Locale.ROOT, "done: trained rounds %s%s, %d B up, %d B down, peak RSS %.1f MiB", trained,
                missed.isEmpty() ? "" : ", missed " + missed, report.bytesUp(), report.bytesDown(),
                report.peakRssBytes() / 1048576.0));
        return report;
    }

    /** One round's local steps over one Train stream; returns the token-weighted mean loss. */
    private double localSteps(TrainingTerms t, SplitDevice device, BatchStream batches, int r) {
        double sum = 0;
        long tokens = 0;
        int steps = t.round().localSteps();
        try (StepStream stream = link.steps(r)) {
            for (int step = 1; step <= steps; step++) {
                int k = step;
                StepResult res = device.localStep(batches.next(), p -> stream.exchange(k, p));
                sum += res.loss() * res.targetTokens();
                tokens += res.targetTokens();
                log.accept(String.format(Locale.ROOT, "round %d/%d step %d/%d: loss %.4f", r, t.round().rounds(), step,
                        steps, res.loss()));
            }
            stream.finish();
        }
        return tokens == 0 ? Double.NaN : sum / tokens;
    }
}
