package org.memsfl.sim;

import org.memsfl.quant.WeightStorage;
import org.memsfl.split.WireFormat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.Defaults;

/**
 * Everything an experiment is run with; one record so the manifest, every method and the report agree.
 *
 * @param model        model spec (path, known name, random:preset)
 * @param planShape    model spec whose shapes the planner sizes cuts with (null = the trained model); cuts are then
 *                     scaled to the trained model's depth, so a tiny trained model still sees heterogeneous cuts
 * @param data         dataset spec
 * @param partition    natural, iid or dirichlet:alpha
 * @param fleet        fleet preset or file
 * @param rounds       federated rounds
 * @param localSteps   local steps per device per round (I)
 * @param scheduler    server order policy for memsfl: fcfs, random, schrage, exact
 * @param aggregation  fedavg, client-only or svd
 * @param batchSize    sequences per local step
 * @param seqLen       longest sequence
 * @param lora         adapter settings
 * @param lr           peak learning rate (every optimizer)
 * @param warmup       warm-up steps of every optimizer
 * @param maxGradNorm  clipping per side (0 = none)
 * @param evalExamples held-out examples scored after each round
 * @param safetyMargin planner's memory margin
 * @param wire         how activations and gradients travel: fp32, fp16, bf16 or int8 with a per-token scale; the
 *                     simulator rounds every payload through it
 * @param seed         seed of everything
 * @param serverRecompute memsfl's server recomputes each layer's activations just before its backward (one more
 *                     forward of the server layers for far less activation memory); the others never do
 * @param dtype        frozen weights and activations of every model copy: F32, BF16 or F16 (LoRA factors, optimizer
 *                     state and loss stay float32)
 * @param template     {@code --template}: auto, chat, plain, a named template or a .jinja file
 *                     ({@link org.memsfl.chat.TemplateChoice}); every method formats training, held-out and
 *                     generation prompts with it
 * @param deviceWeights how the split methods' devices store their layers' linear weights (fp32, bf16, int8, nf4);
 *                     the server keeps its one float model
 */
public record SimSettings(String model, String planShape, String data, String partition, String fleet, int rounds,
                          int localSteps, String scheduler, String aggregation, int batchSize, int seqLen,
                          LoraConfig lora, double lr, int warmup, double maxGradNorm, int evalExamples,
                          double safetyMargin, WireFormat wire, long seed, boolean serverRecompute,
                          org.memsfl.engine.DType dtype, String template, WeightStorage deviceWeights) {

    /** Settings computing in float32, with {@code --template auto} and float32 device weights. */
    public SimSettings(String model, String planShape, String data, String partition, String fleet, int rounds,
                       int localSteps, String scheduler, String aggregation, int batchSize, int seqLen,
                       LoraConfig lora, double lr, int warmup, double maxGradNorm, int evalExamples,
                       double safetyMargin, WireFormat wire, long seed, boolean serverRecompute) {
        this(model, planShape, data, partition, fleet, rounds, localSteps, scheduler, aggregation, batchSize, seqLen,
                lora, lr, warmup, maxGradNorm, evalExamples, safetyMargin, wire, seed, serverRecompute,
                org.memsfl.engine.DType.F32, org.memsfl.chat.TemplateChoice.AUTO, WeightStorage.FP32);
    }

    /** Settings with memsfl's default server recompute (on). */
    public SimSettings(String model, String planShape, String data, String partition, String fleet, int rounds,
                       int localSteps, String scheduler, String aggregation, int batchSize, int seqLen,
                       LoraConfig lora, double lr, int warmup, double maxGradNorm, int evalExamples,
                       double safetyMargin, WireFormat wire, long seed) {
        this(model, planShape, data, partition, fleet, rounds, localSteps, scheduler, aggregation, batchSize, seqLen,
                lora, lr, warmup, maxGradNorm, evalExamples, safetyMargin, wire, seed, true);
    }

    public SimSettings {
        template = new org.memsfl.chat.TemplateChoice(template).value();
        positive("rounds", rounds);
        positive("local steps", localSteps);
        positive("batch size", batchSize);
        positive("sequence length", seqLen);
        positive("eval examples", evalExamples);
        if (!(lr > 0)) {
            throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        }
        if (wire == null || deviceWeights == null) {
            throw new IllegalArgumentException("wire format and device weight storage must be set");
        }
        if (dtype != org.memsfl.engine.DType.F32 && dtype != org.memsfl.engine.DType.BF16
                && dtype != org.memsfl.engine.DType.F16) {
            throw new IllegalArgumentException("compute dtype must be fp32, bf16 or fp16, got " + dtype);
        }
    }

    /** What the core rounds of every method run with (rounds, local steps, LR schedule, clipping, seed). */
    public org.memsfl.round.RoundSettings roundSettings() {
        return new org.memsfl.round.RoundSettings(rounds, localSteps, lr, warmup, maxGradNorm, seed);
    }

    /** Bytes per activation element on the wire (1 for int8, whose per-token scales the delay model adds). */
    public int wireBytes() {
        return wire.elementBytes();
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }

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
        m.put("device_weights", deviceWeights.id());
        m.put("dtype", dtype.name());
        m.put("seed", seed);
        m.put("template", template);
        return m;
    }

    /** A builder starting from {@link Defaults}: set only what differs. */
    public static Builder builder() {
        return new Builder();
    }

    /** Every field of {@link SimSettings}, each starting at its one default ({@link Defaults}); validated by build. */
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
        private org.memsfl.engine.DType dtype = org.memsfl.engine.DType.parse(Defaults.DTYPE);
        private String template = org.memsfl.chat.TemplateChoice.AUTO;
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
        public Builder dtype(org.memsfl.engine.DType v) { dtype = v; return this; }
        public Builder template(String v) { template = v; return this; }
        public Builder deviceWeights(WeightStorage v) { deviceWeights = v; return this; }

        /** @throws IllegalArgumentException naming the first field out of range */
        public SimSettings build() {
            return new SimSettings(model, planShape, data, partition, fleet, rounds, localSteps, scheduler, aggregation,
                    batchSize, seqLen, lora, lr, warmup, maxGradNorm, evalExamples, safetyMargin, wire, seed,
                    serverRecompute, dtype, template, deviceWeights);
        }
    }
}
