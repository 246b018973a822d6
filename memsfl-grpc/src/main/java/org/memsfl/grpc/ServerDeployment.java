package org.memsfl.grpc;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.memsfl.fleet.Units;
import org.memsfl.quant.WeightStorage;
import org.memsfl.round.RoundGuards;
import org.memsfl.settings.Defaults;
import org.memsfl.settings.RunSettings;
import org.memsfl.train.TaskEvalPlan;

/**
 * The edge server process around the one {@link RunSettings} it trains with: what only a deployment needs (how many
 * devices register, wire limits, timeouts, what it does not take on trust, where it writes). The training settings
 * are the simulator's record itself, so a deployment and a simulation given the same {@code run} train the same
 * adapters. Build with {@link #builder(RunSettings)}, whose defaults are {@link Defaults}'.
 *
 * @param run            what is trained, as the simulator would train it; its {@code data} and {@code fleet} are the
 *                       simulator's inputs, which deployed devices bring themselves, so the server's records leave
 *                       them out ({@link RunSettings#SIMULATED_FLEET_KEYS})
 * @param fleetSize      devices that must register before round 1 (U)
 * @param cut            a cut forced on every device (0: plan each device's cut from its memory budget)
 * @param evalData       dataset whose held-out split the server scores after each round (null: no evaluation)
 * @param maxChunkBytes  largest tensor chunk on the wire
 * @param stepTimeout    how long a device waits for one gradient
 * @param roundTimeout   how long after a round opens the server waits for uploads before aggregating without the
 *                       missing devices
 * @param serverFlops    the server's effective compute (FLOP/s) the scheduler predicts server times with
 * @param out            output directory (metrics.jsonl, summary.json, manifest.json, adapter/, checkpoint/)
 * @param resume         continue from the last checkpoint in {@code out} instead of starting over
 * @param guards         what the round does not take on trust from devices: quorum, update norm bound, health gate
 *                       ({@link RoundGuards}; the edge server always keeps the round's start, for restarts)
 * @param maxNumExamples the largest {@code num_examples} (FedAvg weight) one device may claim
 * @param storageRetry   how long a failing checkpoint write is retried (with backoff) before the server stops
 * @param generation     generation-based task evaluation on {@code evalData} (final round, and every k rounds if
 *                       asked; null: none), the simulator's {@code TaskEvaluator}
 */
public record ServerDeployment(RunSettings run, int fleetSize, int cut, String evalData, int maxChunkBytes,
                               Duration stepTimeout, Duration roundTimeout, double serverFlops, Path out,
                               boolean resume, RoundGuards guards, long maxNumExamples, Duration storageRetry,
                               TaskEvalPlan generation) {

    /** @throws IllegalArgumentException naming the first field out of range and what it allows */
    public ServerDeployment {
        Objects.requireNonNull(run, "run settings");
        if (run.deviceWeights() != WeightStorage.FP32) {
            throw new IllegalArgumentException("device weights " + run.deviceWeights().id() + " are simulated only:"
                    + " deployed devices keep their layers' weights in the compute dtype (fp32 storage)");
        }
        if (generation != null && evalData == null) {
            throw new IllegalArgumentException("generation-based evaluation needs held-out prompts: give "
                    + Setting.FIELDS.of(Setting.EVAL_DATA));
        }
        if (fleetSize <= 0) {
            throw new IllegalArgumentException("fleet size must be > 0, got " + fleetSize);
        }
        if (cut < 0) {
            throw new IllegalArgumentException("cut must be >= 1, or 0 to plan it from each device's memory, got " + cut);
        }
        if (maxChunkBytes < 1024 || maxChunkBytes > TensorCodec.DEFAULT_MAX_CHUNK_BYTES * 3) {
            throw new IllegalArgumentException("max chunk bytes must be in [1024, " + TensorCodec.DEFAULT_MAX_CHUNK_BYTES * 3
                    + "], got " + maxChunkBytes);
        }
        requirePositive("step timeout", stepTimeout);
        requirePositive("round timeout", roundTimeout);
        Objects.requireNonNull(out, "out");
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

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be between 1 ms and 24 days, got " + d);
        }
    }

    /** The settings that decide what is trained: a resumed run must agree with its checkpoint on all of them. */
    static final List<String> TRAINING_KEYS = List.of("model", "plan_shape", "fleet_size", "partition",
            "local_steps", "aggregation", "batch_size", "seq_len", "lora_rank", "lora_alpha", "lora_dropout", "lora_targets",
            "lr", "warmup", "max_grad_norm", "safety_margin", "wire_dtype", "cut_override", "seed", "template");

    /** A copy that resumes from the checkpoint in {@link #out()}. */
    public ServerDeployment resuming() {
        return new ServerDeployment(run, fleetSize, cut, evalData, maxChunkBytes, stepTimeout, roundTimeout,
                serverFlops, out, true, guards, maxNumExamples, storageRetry, generation);
    }

    /**
     * The settings as manifest.json, summary.json and checkpoints record them: the run's ({@link RunSettings#toMap()},
     * the simulator's keys) less the simulated fleet's inputs, then this process's own.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = run.toMap();
        RunSettings.SIMULATED_FLEET_KEYS.forEach(m::remove);
        m.put("fleet_size", fleetSize);
        m.put("server_flops", serverFlops);
        m.put("eval_data", evalData);
        m.put("cut_override", cut);
        m.put("max_chunk_bytes", maxChunkBytes);
        m.put("step_timeout_ms", stepTimeout.toMillis());
        m.put("round_timeout_ms", roundTimeout.toMillis());
        m.put("min_devices", guards.minDevices());
        m.put("max_num_examples", maxNumExamples);
        m.put("max_update_norm", guards.maxUpdateNorm() == RoundGuards.AUTO ? "auto" : guards.maxUpdateNorm());
        m.put("clip_updates", guards.clipUpdates());
        m.put("max_loss_ratio", guards.maxLossRatio());
        m.put("storage_retry_s", storageRetry.toSeconds());
        if (generation != null) {
            m.put("generation", generation.toMap());
        }
        return m;
    }

    /** Required: {@code fleetSize} and {@code out}; everything else starts at {@link Defaults}. */
    public static Builder builder(RunSettings run) {
        return new Builder(run);
    }

    /** The deployment-only fields, each starting at its one default; validated by {@link #build()}. */
    public static final class Builder {
        private final RunSettings run;
        private int fleetSize;
        private Path out;
        private int cut;
        private String evalData;
        private int maxChunkBytes = Integer.parseInt(Defaults.MAX_CHUNK_BYTES);
        private Duration stepTimeout = Duration.ofSeconds(Long.parseLong(Defaults.STEP_TIMEOUT_S));
        private Duration roundTimeout = Duration.ofSeconds(Long.parseLong(Defaults.ROUND_TIMEOUT_S));
        private double serverFlops = Units.flops(Defaults.SERVER_COMPUTE);
        private boolean resume;
        private int minDevices = Integer.parseInt(Defaults.MIN_DEVICES);
        private double maxUpdateNorm = RoundGuards.AUTO; // Defaults.MAX_UPDATE_NORM
        private boolean clipUpdates;
        private double maxLossRatio = Double.parseDouble(Defaults.MAX_LOSS_RATIO);
        private long maxNumExamples = Long.parseLong(Defaults.MAX_NUM_EXAMPLES);
        private Duration storageRetry = Duration.ofSeconds(Long.parseLong(Defaults.STORAGE_RETRY_S));
        private TaskEvalPlan generation;

        private Builder(RunSettings run) {
            this.run = run;
        }

        public Builder fleetSize(int v) { fleetSize = v; return this; }
        public Builder out(Path v) { out = v; return this; }
        public Builder cut(int v) { cut = v; return this; }
        public Builder evalData(String v) { evalData = v; return this; }
        public Builder maxChunkBytes(int v) { maxChunkBytes = v; return this; }
        public Builder stepTimeout(Duration v) { stepTimeout = v; return this; }
        public Builder roundTimeout(Duration v) { roundTimeout = v; return this; }
        public Builder serverFlops(double v) { serverFlops = v; return this; }
        public Builder resume(boolean v) { resume = v; return this; }
        public Builder minDevices(int v) { minDevices = v; return this; }
        public Builder maxUpdateNorm(double v) { maxUpdateNorm = v; return this; }
        public Builder clipUpdates(boolean v) { clipUpdates = v; return this; }
        public Builder maxLossRatio(double v) { maxLossRatio = v; return this; }
        public Builder maxNumExamples(long v) { maxNumExamples = v; return this; }
        public Builder storageRetry(Duration v) { storageRetry = v; return this; }
        public Builder generation(TaskEvalPlan v) { generation = v; return this; }

        /** @throws IllegalArgumentException naming the first field out of range */
        public ServerDeployment build() {
            return new ServerDeployment(run, fleetSize, cut, evalData, maxChunkBytes, stepTimeout, roundTimeout,
                    serverFlops, out, resume, new RoundGuards(minDevices, maxUpdateNorm, clipUpdates, maxLossRatio, true),
                    maxNumExamples, storageRetry, generation);
        }
    }
}
