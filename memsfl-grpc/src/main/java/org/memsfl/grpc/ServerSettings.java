package org.memsfl.grpc;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.memsfl.engine.DType;
import org.memsfl.split.WireFormat;
import org.memsfl.lora.LoraConfig;
import org.memsfl.round.RoundGuards;
import org.memsfl.settings.Defaults;

/**
 * What the edge server trains. Build with {@link #builder()}, which starts every training field at the one default
 * the simulator's {@code SimSettings.builder()} and the CLI start from ({@link Defaults}), so that a deployment and a
 * simulation given the same values train the same adapters.
 *
 * @param model          model spec (known name, path, {@code random:<preset>}); every device resolves the same spec
 * @param planShape      model spec whose shapes the planner sizes cuts with, cuts then scaled to the trained depth
 *                       (null: plan at the trained model)
 * @param fleetSize      devices that must register before round 1 (U)
 * @param rounds         federated rounds (R)
 * @param localSteps     local steps per device per round (I)
 * @param batchSize      sequences per local step
 * @param seqLen         longest sequence in tokens (capped at the model's maximum)
 * @param lora           adapter settings of the whole fleet
 * @param lr             peak learning rate of every optimizer
 * @param warmup         linear warm-up steps of every optimizer
 * @param maxGradNorm    clip norm per side (0 = none)
 * @param seed           seed of the adapter initialisation, the partition and the batch order
 * @param partitioner    natural, iid or dirichlet:alpha
 * @param aggregation    fedavg, client-only or svd
 * @param wire           how activations and gradients travel: fp32, fp16, bf16, or int8 with a per-token scale
 * @param cut            a cut forced on every device (0: plan each device's cut from its memory budget)
 * @param safetyMargin   planner memory margin
 * @param evalData       dataset whose held-out split the server scores after each round (null: no evaluation)
 * @param evalExamples   held-out examples scored
 * @param maxChunkBytes  largest tensor chunk on the wire
 * @param stepTimeout    how long a device waits for one gradient
 * @param roundTimeout   how long after a round opens the server waits for uploads before aggregating without the
 *                       missing devices
 * @param scheduler      which waiting local step the server serves next: fcfs, random, schrage or exact ({@link org.memsfl.schedule.StepDispatcher})
 * @param serverFlops    the server's effective compute (FLOP/s) the scheduler predicts server times with
 * @param serverRecompute recompute each server layer's activations just before its backward ({@code ServerSegment})
 * @param out            output directory (metrics.jsonl, summary.json, manifest.json, adapter/, checkpoint/)
 * @param resume         continue from the last checkpoint in {@code out} instead of starting over
 * @param guards         what the round does not take on trust from devices: quorum, update norm bound, health gate
 *                       ({@link RoundGuards}; the edge server always keeps the round's start, for restarts)
 * @param maxNumExamples the largest {@code num_examples} (FedAvg weight) one device may claim
 * @param storageRetry   how long a failing checkpoint write is retried (with backoff) before the server stops
 * @param dtype          frozen weights and activations of the server's model and of every device segment (sent in
 *                       the assignment): F32, BF16 or F16; LoRA factors, optimizer state and loss stay float32
 * @param template       {@code --template} (auto, chat, plain, a named template or a .jinja file): how the server's
 *                       held-out examples and every device's training examples are rendered; devices follow it
 * @param generation     generation-based task evaluation on {@code evalData} (final round, and every k rounds if
 *                       asked; null: none), the simulator's {@code TaskEvaluator}
 */
public record ServerSettings(String model, String planShape, int fleetSize, int rounds, int localSteps, int batchSize,
                             int seqLen, LoraConfig lora, double lr, int warmup, double maxGradNorm, long seed,
                             String partitioner, String aggregation, WireFormat wire, int cut, double safetyMargin,
                             String evalData, int evalExamples, int maxChunkBytes, Duration stepTimeout,
                             Duration roundTimeout, String scheduler, double serverFlops, boolean serverRecompute, Path out,
                             boolean resume, RoundGuards guards, long maxNumExamples, Duration storageRetry, DType dtype,
                             String template, org.memsfl.train.TaskEvalPlan generation) {

    public ServerSettings {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model must be set");
        }
        template = new org.memsfl.chat.TemplateChoice(template).value();
        if (generation != null && evalData == null) {
            throw new IllegalArgumentException("generation-based evaluation needs held-out prompts: give --eval-data");
        }
        positive("fleet size", fleetSize);
        positive("rounds", rounds);
        positive("local steps", localSteps);
        positive("batch size", batchSize);
        positive("sequence length", seqLen);
        positive("eval examples", evalExamples);
        Objects.requireNonNull(lora, "lora");
        if (!(lr > 0)) {
            throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmup);
        }
        if (!(maxGradNorm >= 0)) {
            throw new IllegalArgumentException("max grad norm must be >= 0 (0 = no clipping), got " + maxGradNorm);
        }
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("compute dtype must be fp32, fp16 or bf16, got " + dtype);
        }
        Objects.requireNonNull(wire, "wire format");
        if (cut < 0) {
            throw new IllegalArgumentException("cut must be >= 1, or 0 to plan it from each device's memory, got " + cut);
        }
        if (!(safetyMargin >= 0)) {
            throw new IllegalArgumentException("safety margin must be >= 0, got " + safetyMargin);
        }
        if (maxChunkBytes < 1024 || maxChunkBytes > TensorCodec.DEFAULT_MAX_CHUNK_BYTES * 3) {
            throw new IllegalArgumentException("max chunk bytes must be in [1024, " + TensorCodec.DEFAULT_MAX_CHUNK_BYTES * 3
                    + "], got " + maxChunkBytes);
        }
        requirePositive("step timeout", stepTimeout);
        requirePositive("round timeout", roundTimeout);
        Objects.requireNonNull(partitioner, "partitioner");
        Objects.requireNonNull(aggregation, "aggregation");
        Objects.requireNonNull(out, "out");
        if (!org.memsfl.schedule.Policies.NAMES.contains(scheduler)) {
            throw new IllegalArgumentException("scheduler must be one of " + org.memsfl.schedule.Policies.NAMES + ", got '"
                    + scheduler + "'");
        }
        if (!(serverFlops > 0) || Double.isInfinite(serverFlops)) {
            throw new IllegalArgumentException("server compute must be a positive FLOP/s figure, got " + serverFlops);
        }
        Objects.requireNonNull(guards, "guards");
        if (guards.minDevices() > fleetSize) {
            throw new IllegalArgumentException("min devices " + guards.minDevices() + " is above the fleet size "
                    + fleetSize + ": no round could reach the quorum");
        }
        if (maxNumExamples <= 0) {
            throw new IllegalArgumentException("max num_examples must be > 0, got " + maxNumExamples);
        }
        requirePositive("storage retry", storageRetry);
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be between 1 ms and 24 days, got " + d);
        }
    }

    /** The settings that decide what is trained: a resumed run must agree with its checkpoint on all of them. */
    static final java.util.List<String> TRAINING_KEYS = java.util.List.of("model", "plan_shape", "fleet_size", "partition",
            "local_steps", "aggregation", "batch_size", "seq_len", "lora_rank", "lora_alpha", "lora_dropout", "lora_targets",
            "lr", "warmup", "max_grad_norm", "safety_margin", "wire_dtype", "cut_override", "seed", "template");

    /** A copy that resumes from the checkpoint in {@link #out()}. */
    public ServerSettings resuming() {
        return new ServerSettings(model, planShape, fleetSize, rounds, localSteps, batchSize, seqLen, lora, lr, warmup,
                maxGradNorm, seed, partitioner, aggregation, wire, cut, safetyMargin, evalData, evalExamples,
                maxChunkBytes, stepTimeout, roundTimeout, scheduler, serverFlops, serverRecompute, out, true, guards,
                maxNumExamples, storageRetry, dtype, template, generation);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The settings as manifest.json and summary.json record them (keys as the simulator's). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("plan_shape", planShape);
        m.put("fleet_size", fleetSize);
        m.put("partition", partitioner);
        m.put("rounds", rounds);
        m.put("local_steps", localSteps);
        m.put("scheduler", scheduler);
        m.put("server_flops", serverFlops);
        m.put("server_recompute", serverRecompute);
        m.put("aggregation", aggregation);
        m.put("batch_size", batchSize);
        m.put("seq_len", seqLen);
        m.putAll(lora.toSettings());
        m.put("lr", lr);
        m.put("warmup", warmup);
        m.put("max_grad_norm", maxGradNorm);
        m.put("eval_data", evalData);
        m.put("eval_examples", evalExamples);
        m.put("safety_margin", safetyMargin);
        // the element type's name, as checkpoints of float wires have always stored it (F32, F16, BF16; I8)
        m.put("wire_dtype", wire.dtype().name());
        m.put("wire_bytes", wire.elementBytes());
        m.put("dtype", dtype.name());
        m.put("cut_override", cut);
        m.put("max_chunk_bytes", maxChunkBytes);
        m.put("step_timeout_ms", stepTimeout.toMillis());
        m.put("round_timeout_ms", roundTimeout.toMillis());
        m.put("seed", seed);
        m.put("min_devices", guards.minDevices());
        m.put("max_num_examples", maxNumExamples);
        m.put("max_update_norm", guards.maxUpdateNorm() == RoundGuards.AUTO ? "auto" : guards.maxUpdateNorm());
        m.put("clip_updates", guards.clipUpdates());
        m.put("max_loss_ratio", guards.maxLossRatio());
        m.put("storage_retry_s", storageRetry.toSeconds());
        m.put("template", template);
        if (generation != null) {
            m.put("generation", generation.toMap());
        }
        return m;
    }

    /** Required: {@code model}, {@code fleetSize}, {@code out}; everything else has the simulator's default. */
    public static final class Builder {
        private String model;
        private String planShape;
        private int fleetSize;
        private int rounds = Defaults.rounds();
        private int localSteps = Defaults.localSteps();
        private int batchSize = Defaults.batchSize();
        private int seqLen = Defaults.seqLen();
        private LoraConfig lora = Defaults.lora();
        private double lr = Defaults.lr();
        private int warmup = Defaults.warmup();
        private double maxGradNorm = Defaults.maxGradNorm();
        private long seed = Long.parseLong(Defaults.SEED);
        private String partitioner = Defaults.PARTITION;
        private String aggregation = Defaults.AGGREGATION;
        private WireFormat wire = WireFormat.parse(Defaults.WIRE_DTYPE);
        private int cut;
        private double safetyMargin = Defaults.safetyMargin();
        private String evalData;
        private int evalExamples = Defaults.evalExamples();
        private int maxChunkBytes = TensorCodec.DEFAULT_MAX_CHUNK_BYTES;
        private Duration stepTimeout = Duration.ofMinutes(10);
        private Duration roundTimeout = Duration.ofHours(2);
        private String scheduler = Defaults.SCHEDULER;
        private double serverFlops = 30e12;
        private boolean serverRecompute = Defaults.serverRecompute();
        private Path out;
        private boolean resume;
        private int minDevices = 1;
        private double maxUpdateNorm = RoundGuards.AUTO;
        private boolean clipUpdates;
        private double maxLossRatio = 2.0;
        private long maxNumExamples = 1_000_000;
        private Duration storageRetry = Duration.ofMinutes(10);
        private DType dtype = DType.parse(Defaults.DTYPE);
        private String template = org.memsfl.chat.TemplateChoice.AUTO;
        private org.memsfl.train.TaskEvalPlan generation;

        private Builder() {
        }

        public Builder setModel(String v) { model = v; return this; }
        public Builder setFleetSize(int v) { fleetSize = v; return this; }
        public Builder setOut(Path v) { out = v; return this; }
        public Builder optPlanShape(String v) { planShape = v; return this; }
        public Builder optRounds(int v) { rounds = v; return this; }
        public Builder optLocalSteps(int v) { localSteps = v; return this; }
        public Builder optBatchSize(int v) { batchSize = v; return this; }
        public Builder optSeqLen(int v) { seqLen = v; return this; }
        public Builder optLora(LoraConfig v) { lora = v; return this; }
        public Builder optLr(double v) { lr = v; return this; }
        public Builder optWarmup(int v) { warmup = v; return this; }
        public Builder optMaxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder optSeed(long v) { seed = v; return this; }
        public Builder optPartitioner(String v) { partitioner = v; return this; }
        public Builder optAggregation(String v) { aggregation = v; return this; }
        public Builder optWire(WireFormat v) { wire = v; return this; }
        /** A floating wire dtype (F32, F16, BF16). */
        public Builder optWire(DType v) { wire = WireFormat.of(v); return this; }
        public Builder optCut(int v) { cut = v; return this; }
        public Builder optSafetyMargin(double v) { safetyMargin = v; return this; }
        public Builder optEvalData(String v) { evalData = v; return this; }
        public Builder optEvalExamples(int v) { evalExamples = v; return this; }
        public Builder optMaxChunkBytes(int v) { maxChunkBytes = v; return this; }
        public Builder optStepTimeout(Duration v) { stepTimeout = v; return this; }
        public Builder optRoundTimeout(Duration v) { roundTimeout = v; return this; }
        public Builder optResume(boolean v) { resume = v; return this; }
        public Builder optTemplate(String v) { template = v; return this; }
        public Builder optGeneration(org.memsfl.train.TaskEvalPlan v) { generation = v; return this; }
        public Builder optScheduler(String v) { scheduler = v; return this; }
        public Builder optServerFlops(double v) { serverFlops = v; return this; }
        public Builder optServerRecompute(boolean v) { serverRecompute = v; return this; }
        public Builder optMinDevices(int v) { minDevices = v; return this; }
        public Builder optMaxUpdateNorm(double v) { maxUpdateNorm = v; return this; }
        public Builder optClipUpdates(boolean v) { clipUpdates = v; return this; }
        public Builder optMaxLossRatio(double v) { maxLossRatio = v; return this; }
        public Builder optMaxNumExamples(long v) { maxNumExamples = v; return this; }
        public Builder optStorageRetry(Duration v) { storageRetry = v; return this; }
        public Builder optDtype(DType v) { dtype = v; return this; }

        public ServerSettings build() {
            return new ServerSettings(model, planShape, fleetSize, rounds, localSteps, batchSize, seqLen, lora, lr, warmup,
                    maxGradNorm, seed, partitioner, aggregation, wire, cut, safetyMargin, evalData, evalExamples,
                    maxChunkBytes, stepTimeout, roundTimeout, scheduler, serverFlops, serverRecompute, out, resume,
                    new RoundGuards(minDevices, maxUpdateNorm, clipUpdates, maxLossRatio, true), maxNumExamples,
                    storageRetry, dtype, template, generation);
        }
    }
}
