package org.memsfl.settings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.chat.TemplateChoice;
import org.memsfl.engine.DType;
import org.memsfl.fed.Aggregators;
import org.memsfl.lora.LoraConfig;
import org.memsfl.quant.WeightStorage;
import org.memsfl.schedule.Policies;
import org.memsfl.split.WireFormat;

/**
 * What a training run is run with, once for the simulator and the deployment: simulate, compare and demo run their
 * methods with it, and the edge server of a deployment holds one (inside its process settings, which add only ports'
 * and files' concerns), so that the same values train the same adapters on either transport. Build with
 * {@link #builder()}, whose every field starts at its one default in {@link Defaults}; the compact constructor is
 * the one place these values are checked, and {@link #toMap()} the one place they are written to manifests.
 *
 * @param model           model spec (path, known name, {@code random:<preset>}); every device resolves the same spec
 * @param planShape       model spec whose shapes the planner sizes cuts with (null = the trained model); cuts are
 *                        then scaled to the trained model's depth, so a tiny trained model still sees heterogeneous
 *                        cuts
 * @param data            the simulated devices' dataset (each trains on its partition; every method scores its
 *                        held-out split); a deployment's devices name their own ({@code memsfl device --data})
 * @param partition       natural, iid or dirichlet:alpha
 * @param fleet           the simulated fleet: a preset or a YAML/JSON file; a deployment's devices register their
 *                        own profiles
 * @param rounds          federated rounds (R), counted from 1
 * @param localSteps      local steps per device per round (I)
 * @param scheduler       the server's order of waiting local steps: fcfs, random, schrage or exact
 *                        ({@link Policies})
 * @param aggregation     fedavg, client-only, svd, fedmedian or fedtrimmedavg[:beta] ({@link Aggregators})
 * @param batchSize       sequences per local step
 * @param seqLen          longest sequence in tokens (capped at the model's context where it is loaded)
 * @param lora            adapter settings of the whole fleet
 * @param lr              peak learning rate of every optimizer
 * @param warmup          linear warm-up steps of every optimizer
 * @param maxGradNorm     clipping of each side's adapter gradient (0 = none)
 * @param evalExamples    held-out examples scored after each round
 * @param safetyMargin    the planner's memory margin (fraction of each budget kept free)
 * @param wire            how activations and gradients travel: fp32, fp16, bf16 or int8 with a per-token scale; the
 *                        simulator rounds every payload through it
 * @param seed            seed of the adapters' initialisation, the partition, the batch order and dropout
 * @param serverRecompute memsfl's server recomputes each layer's activations just before its backward (one more
 *                        forward of the server layers for far less activation memory); the baselines never do
 * @param dtype           frozen weights and activations of every model copy: F32, BF16 or F16 (LoRA factors,
 *                        optimizer state and loss stay float32)
 * @param template        {@code --template}: auto, chat, plain, a named template or a .jinja file
 *                        ({@link TemplateChoice}); training, held-out and generation prompts are all rendered with it
 * @param deviceWeights   how the simulated split methods' devices store their layers' frozen linear weights (fp32,
 *                        bf16, int8, nf4); the server keeps its one float model, and deployed devices keep fp32
 */
public record RunSettings(String model, String planShape, String data, String partition, String fleet, int rounds,
                          int localSteps, String scheduler, String aggregation, int batchSize, int seqLen,
                          LoraConfig lora, double lr, int warmup, double maxGradNorm, int evalExamples,
                          double safetyMargin, WireFormat wire, long seed, boolean serverRecompute, DType dtype,
                          String template, WeightStorage deviceWeights) {

    /**
     * The manifest keys of {@link #toMap()} that name what the simulator supplies for its devices; a deployment's
     * devices bring their own, so its records leave these out rather than repeat the builder's defaults.
     */
    public static final List<String> SIMULATED_FLEET_KEYS = List.of("data", "fleet");

    /** @throws IllegalArgumentException naming the first field out of range and what it allows */
    public RunSettings {
        required("model", model);
        required("data", data);
        required("partition", partition);
        required("fleet", fleet);
        required("aggregation", aggregation);
        template = new TemplateChoice(template).value();
        // rounds, local steps, the optimizer's rate, warm-up and clipping: the round's own record checks them, so that
        // the simulator, the edge server and a device (which gets the record over the wire) refuse them alike
        new RoundSettings(rounds, localSteps, lr, warmup, maxGradNorm, seed);
        positive("batch size", batchSize);
        positive("sequence length", seqLen);
        positive("eval examples", evalExamples);
        if (lora == null) {
            throw new IllegalArgumentException("lora settings must be set");
        }
        if (!(safetyMargin >= 0) || Double.isInfinite(safetyMargin)) {
            throw new IllegalArgumentException("safety margin must be a finite number >= 0, got " + safetyMargin);
        }
        if (!Policies.NAMES.contains(scheduler)) {
            throw new IllegalArgumentException("scheduler must be one of " + Policies.NAMES + ", got '" + scheduler
                    + "'");
        }
        // parsed here, with the other fields, so that a bad --aggregation is refused before a run writes anything
        // (it used to surface only when a method started, after manifest.json was written)
        Aggregators.of(aggregation);
        if (wire == null || deviceWeights == null) {
            throw new IllegalArgumentException("wire format and device weight storage must be set");
        }
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("compute dtype must be fp32, bf16 or fp16, got " + dtype);
        }
    }

    private static void required(String name, String v) {
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + " must be set");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }

    /** What the core rounds run with (rounds, local steps, LR schedule, clipping, seed); checked by its constructor. */
    public RoundSettings roundSettings() {
        return new RoundSettings(rounds, localSteps, lr, warmup, maxGradNorm, seed);
    }

    /** Bytes per activation element on the wire (1 for int8, whose per-token scales the delay model adds). */
    public int wireBytes() {
        return wire.elementBytes();
    }

    /**
     * Every field as manifest.json, summary.json and the report record it (snake_case keys; LoRA's as
     * {@link LoraConfig#toSettings()}); {@code wire_dtype} is the {@code --wire-dtype} value, {@code dtype} the
     * element type's name (F32, BF16, F16).
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("plan_shape", planShape);
        m.put("data", data);
        m.put("partition", partition);
        m.put("fleet", fleet);
        m.put("rounds", rounds);
        m.put("local_steps", localSteps);
        m.put("scheduler", scheduler);
        m.put("server_recompute", serverRecompute);
        m.put("aggregation", aggregation);
        m.put("batch_size", batchSize);
        m.put("seq_len", seqLen);
        m.putAll(lora.toSettings());
        m.put("lr", lr);
        m.put("warmup", warmup);
        m.put("max_grad_norm", maxGradNorm);
        m.put("eval_examples", evalExamples);
        m.put("safety_margin", safetyMargin);
        m.put("wire_dtype", wire.id());
        m.put("wire_bytes", wire.elementBytes());
        m.put("device_weights", deviceWeights.id());
        m.put("dtype", dtype.optionName());
        m.put("seed", seed);
        m.put("template", template);
        return m;
    }

    /** A builder starting from {@link Defaults}: set only what differs. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder().model(model).planShape(planShape).data(data).partition(partition).fleet(fleet)
                .rounds(rounds).localSteps(localSteps).scheduler(scheduler).aggregation(aggregation)
                .batchSize(batchSize).seqLen(seqLen).lora(lora).lr(lr).warmup(warmup).maxGradNorm(maxGradNorm)
                .evalExamples(evalExamples).safetyMargin(safetyMargin).wire(wire).seed(seed)
                .serverRecompute(serverRecompute).dtype(dtype).template(template).deviceWeights(deviceWeights);
    }

    /** Every field of {@link RunSettings}, each starting at its one default ({@link Defaults}); validated by build. */
    public static final class Builder {
        private String model = Defaults.MODEL;
        private String planShape;
        private String data = Defaults.DATA;
        private String partition = Defaults.PARTITION;
        private String fleet = Defaults.FLEET;
        private int rounds = Defaults.rounds();
        private int localSteps = Defaults.localSteps();
        private String scheduler = Defaults.SCHEDULER;
        private String aggregation = Defaults.AGGREGATION;
        private int batchSize = Defaults.batchSize();
        private int seqLen = Defaults.seqLen();
        private LoraConfig lora = Defaults.lora();
        private double lr = Defaults.lr();
        private int warmup = Defaults.warmup();
        private double maxGradNorm = Defaults.maxGradNorm();
        private int evalExamples = Defaults.evalExamples();
        private double safetyMargin = Defaults.safetyMargin();
        private WireFormat wire = WireFormat.parse(Defaults.WIRE_DTYPE);
        private long seed = Long.parseLong(Defaults.SEED);
        private boolean serverRecompute = Defaults.serverRecompute();
        private DType dtype = DType.parse(Defaults.DTYPE);
        private String template = TemplateChoice.AUTO;
        private WeightStorage deviceWeights = WeightStorage.parse(Defaults.DEVICE_WEIGHTS);

        private Builder() {
        }

        public Builder model(String v) { model = v; return this; }
        public Builder planShape(String v) { planShape = v; return this; }
        public Builder data(String v) { data = v; return this; }
        public Builder partition(String v) { partition = v; return this; }
        public Builder fleet(String v) { fleet = v; return this; }
        public Builder rounds(int v) { rounds = v; return this; }
        public Builder localSteps(int v) { localSteps = v; return this; }
        public Builder scheduler(String v) { scheduler = v; return this; }
        public Builder aggregation(String v) { aggregation = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder seqLen(int v) { seqLen = v; return this; }
        public Builder lora(LoraConfig v) { lora = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder warmup(int v) { warmup = v; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder evalExamples(int v) { evalExamples = v; return this; }
        public Builder safetyMargin(double v) { safetyMargin = v; return this; }
        public Builder wire(WireFormat v) { wire = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder serverRecompute(boolean v) { serverRecompute = v; return this; }
        public Builder dtype(DType v) { dtype = v; return this; }
        public Builder template(String v) { template = v; return this; }
        public Builder deviceWeights(WeightStorage v) { deviceWeights = v; return this; }

        /** @throws IllegalArgumentException naming the first field out of range */
        public RunSettings build() {
            return new RunSettings(model, planShape, data, partition, fleet, rounds, localSteps, scheduler,
                    aggregation, batchSize, seqLen, lora, lr, warmup, maxGradNorm, evalExamples, safetyMargin, wire,
                    seed, serverRecompute, dtype, template, deviceWeights);
        }
    }
}
