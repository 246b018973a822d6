package org.memsfl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.cost.MemoryBreakdown;
import org.memsfl.cost.MemoryModel;
import org.memsfl.quant.WeightStorage;
import org.memsfl.data.Batch;
import org.memsfl.data.BatchSampler;
import org.memsfl.data.DataResolver;
import org.memsfl.data.Dataset;
import org.memsfl.data.Example;
import org.memsfl.data.Tokenization;
import org.memsfl.data.TokenizedExample;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.ModelResolver;
import org.memsfl.model.RandomInit;
import org.memsfl.split.DeviceSegment;
import org.memsfl.split.GradientPayload;
import org.memsfl.tokenizer.Tokenizer;
import org.memsfl.train.AdamW;
import org.memsfl.train.BatchTensors;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.LrSchedule;
import org.memsfl.train.StepResult;
import org.memsfl.util.Json;
import org.memsfl.util.ProcessMemory;
import org.memsfl.util.RunManifest;

/**
 * What a device process really holds with a small cut versus with the whole model (DESIGN.md sections 1 and 5),
 * measured as resident memory of a real process and set beside the memory model ({@link MemoryModel#device} and
 * {@link MemoryModel#fullModel}) for the same batch, sequence length and adapters.
 *
 * <p>The parent launches one child JVM per variant, one after another, on the same java binary and classpath, with
 * the same data, seed and batches:
 * <ul>
 *   <li>{@code cut<c>}: the device segment as the gRPC device builds it ({@code DeviceClient}):
 *       {@link ModelResolver} loads ONLY the embedding and layers [0, c) ({@link LayerRange#deviceSegment}), adapters
 *       over that range, and steps run through {@link DeviceSegment#localStep} -- forward to the cut, backward from
 *       the gradient at the cut, clip, AdamW. No server runs in the process: the "server" is a stub that returns a
 *       random (B, T, dim) gradient, the shape and dtype the real server sends back, so only the device's memory is
 *       measured.</li>
 *   <li>{@code full}: a device that holds the whole model (embedding, every layer, final norm, LM head) and takes
 *       fedlora's local step ({@link LoraTrainer#step}: forward, loss, backward, clip, AdamW) on the same batches.</li>
 * </ul>
 * Inside a child: the tokenizer is loaded (without weights), the data read and tokenised, the engine warmed up on a
 * tiny model through both step paths (natives, kernels, autograd threads, BLAS buffers: one-time costs both variants
 * pay alike), then {@code rss_before_model} is read and the kernel's high-water mark reset; then the model part is
 * loaded and the steps run while a sampler reads VmRSS every 5 ms. The headline, {@code peak_above_before_model}, is
 * the largest of the samples and VmHWM since that reset, minus {@code rss_before_model}: what holding and training
 * the model part costs the process, loading included. {@code steps_peak_above_before_model} is the training phase
 * alone (VmHWM reset again once the model is loaded): loading has a transient of its own, the finiteness check of
 * every weight in {@code DecoderModel}'s constructor, which for GPT-2 is larger than a cut-2 device's whole step
 * workspace.
 *
 * <p>Usage: {@code DeviceMemoryBench [model=random:gpt2] [data=dolly] [cut=2] [batch=4] [seqLen=128] [steps=5]
 * [out=bench-results/device_memory.json] [allocator=fixed-mmap] [targets=q,v] [warmup=1]}. LoRA is r8,
 * alpha 16, no dropout, on q and v by default (the planner's default). {@code allocator}
 * is as in {@link ServerMemoryBench#allocatorEnv}; {@code fixed-mmap} is the default here, because glibc's dynamic
 * mmap threshold lets freed activation-sized blocks pile up in the arenas, which ServerMemoryBench found to double
 * the measured step peak against the model (an earlier server_memory.json in git history: 50.5% vs 63.8% reduction).
 */
public final class DeviceMemoryBench {

    static final double LR = 1e-4;
    static final double MAX_GRAD_NORM = 1.0;
    static final long SEED = 0;
    static final long SAMPLE_NANOS = 5_000_000L;
    /** Examples tokenised per chunk while looking for full-window examples. */
    static final int TOKENIZE_CHUNK = 64;
    static final List<String> CHILD_JVM_OPTIONS = List.of(
            // the whole Java heap is committed and touched before any reading, so heap growth is never counted
            "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch",
            // JavaCPP's own RSS guard would force GCs (and throw) once RSS passes 2x the heap; measure, don't guard
            "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");
    static final String GRADIENT_NOTE = "synthetic: the server is a stub inside DeviceSegment.localStep that returns "
            + "torch.randn(B, T, dim) * 1e-3 (fp32, the shape of the cut activation), seeded per step; no server "
            + "segment runs in the device process";

    /**
     * One measurement's settings.
     *
     * @param model   model spec, as {@code --model} takes it
     * @param data    data spec, as {@code --data} takes it
     * @param cut     the device's cut layer for the {@code cut<c>} variant
     * @param batch   sequences per step
     * @param seqLen  tokens per sequence; only examples that fill the window are used, so every batch is (B, T)
     * @param warmup  steps run before the measured ones (still inside the peak: the process holds them too)
     * @param steps   measured steps
     * @param lora    the adapters trained
     * @param storage how the cut variant stores its layers' linear weights ({@code --device-weights})
     */
    record Settings(String model, String data, int cut, int batch, int seqLen, int warmup, int steps, LoraConfig lora,
                    WeightStorage storage) {

        Settings {
            if (cut < 1 || batch < 1 || seqLen < 1 || warmup < 0 || steps < 1) {
                throw new IllegalArgumentException("cut, batch, seqLen, steps must be >= 1 and warmup >= 0");
            }
        }

        String cutVariant() {
            return "cut" + cut + (storage == WeightStorage.FP32 ? "" : "-" + storage.id());
        }

        Settings withStorage(WeightStorage s) {
            return new Settings(model, data, cut, batch, seqLen, warmup, steps, lora, s);
        }

        List<String> args() {
            return List.of(model, data, String.valueOf(cut), String.valueOf(batch), String.valueOf(seqLen),
                    String.valueOf(warmup), String.valueOf(steps), String.valueOf(lora.rank()),
                    String.valueOf(lora.alpha()), String.join(",", lora.targets()), storage.id());
        }

        static Settings fromArgs(String[] a, int from) {
            return new Settings(a[from], a[from + 1], Integer.parseInt(a[from + 2]), Integer.parseInt(a[from + 3]),
                    Integer.parseInt(a[from + 4]), Integer.parseInt(a[from + 5]), Integer.parseInt(a[from + 6]),
                    new LoraConfig(Integer.parseInt(a[from + 7]), Double.parseDouble(a[from + 8]), 0,
                            List.of(a[from + 9].split(","))), WeightStorage.parse(a[from + 10]));
        }
    }

    private DeviceMemoryBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            // --child <variant> <result.json> <settings...>
            Map<String, Object> res = measure(Settings.fromArgs(args, 3), args[1]);
            Json.write(Path.of(args[2]), res);
            return;
        }
        parent(args);
    }

    /** Rank 8, alpha 16, no dropout (the edge server's and the CLI's defaults) on {@code targets}. */
    static LoraConfig lora(String targets) {
        return new LoraConfig(8, 16, 0, List.of(targets.split(",")));
    }

    // ------------------------------------------------------------------------------------------------------ parent

    static void parent(String[] args) throws Exception {
        String model = ServerMemoryBench.arg(args, 0, "random:gpt2");
        String data = ServerMemoryBench.arg(args, 1, "dolly");
        int cut = Integer.parseInt(ServerMemoryBench.arg(args, 2, "2"));
        int batch = Integer.parseInt(ServerMemoryBench.arg(args, 3, "4"));
        int seqLen = Integer.parseInt(ServerMemoryBench.arg(args, 4, "128"));
        int steps = Integer.parseInt(ServerMemoryBench.arg(args, 5, "5"));
        Path out = Path.of(ServerMemoryBench.arg(args, 6, "bench-results/device_memory.json"));
        String allocator = ServerMemoryBench.arg(args, 7, "fixed-mmap");
        String targets = ServerMemoryBench.arg(args, 8, "q,v");
        int warmup = Integer.parseInt(ServerMemoryBench.arg(args, 9, "1"));
        List<WeightStorage> storages = new ArrayList<>();
        for (String st : ServerMemoryBench.arg(args, 10, "fp32").split(",")) {
            storages.add(WeightStorage.parse(st));
        }
        boolean withFull = Boolean.parseBoolean(ServerMemoryBench.arg(args, 11, "true"));
        Settings s = new Settings(model, data, cut, batch, seqLen, warmup, steps, lora(targets), storages.get(0));
        Map<String, String> childEnv = ServerMemoryBench.allocatorEnv(allocator);
        ModelConfig config = ModelResolver.resolveConfig(model);
        if (cut >= config.nLayers()) {
            throw new IllegalArgumentException("cut must be below the model's " + config.nLayers() + " layers, got " + cut);
        }
        long t0 = System.nanoTime();

        Map<String, Object> children = new LinkedHashMap<>();
        for (WeightStorage st : storages) {
            Settings cutSettings = s.withStorage(st);
            children.put(cutSettings.cutVariant(), runChild(cutSettings.cutVariant(), cutSettings, childEnv));
        }
        if (withFull) {
            children.put("full", runChild("full", s, childEnv));
        }

        Map<String, Object> res = new LinkedHashMap<>();
        res.put("benchmark", "device_memory");
        res.put("model", model);
        res.put("model_shape", Map.of("layers", config.nLayers(), "dim", config.dim(), "vocab", config.vocabSize(),
                "heads", config.nHeads(), "tied_embeddings", config.tiedEmbeddings()));
        res.put("data", data);
        res.put("cut", cut);
        res.put("device_weights", storages.stream().map(WeightStorage::id).toList());
        res.put("batch", batch);
        res.put("seq_len", seqLen);
        res.put("warmup_steps", warmup);
        res.put("measured_steps", steps);
        res.put("lora", Map.of("rank", s.lora().rank(), "alpha", s.lora().alpha(), "dropout", s.lora().dropout(),
                "targets", s.lora().targets()));
        res.put("gradient_at_cut", GRADIENT_NOTE);
        res.put("child_jvm_options", CHILD_JVM_OPTIONS);
        res.put("sample_interval_ms", SAMPLE_NANOS / 1e6);
        res.put("allocator", allocator);
        res.put("child_allocator_env", ChildJvm.allocatorEnv(childEnv));
        res.put("comparison", compare(children, s.cutVariant(), "full"));
        res.put("variants", children);
        res.put("notes", List.of(
                "holds = peak_above_before_model: the largest of VmRSS sampled every 5 ms and VmHWM (reset right after "
                        + "rss_before_model) minus rss_before_model; it covers loading the model part and every step "
                        + "(warm-up included)",
                "rss_before_model is read after the tokenizer is loaded, the data tokenised and the engine warmed up on "
                        + "a tiny model through both step paths, so one-time native costs are in the baseline of both "
                        + "variants and not in the delta",
                "modeled = MemoryModel.device(cut) for the cut variant and MemoryModel.fullModel() for the full one, "
                        + "same model, LoRA, batch and sequence length: weights, LoRA state, activations kept for "
                        + "backward, buffers; no allocator slack and no temporaries that die inside a step",
                "held includes loading: DecoderModel's constructor checks every weight with torch.isfinite(t).all(), "
                        + "whose temporaries (abs() in fp32 plus three bool tensors) come to about 1.75x the largest "
                        + "tensor, GPT-2's 147 MiB token embedding (257 MiB measured in isolation); that transient "
                        + "(load_transient_bytes) is the same for both variants, so it weighs most on the small one; "
                        + "steps_peak is the training phase alone (VmHWM reset again after loading)",
                "model_bytes are counted from the tensors the process holds (weights by name, LoRA parameters, their "
                        + "gradients after the last step, AdamW moments)",
                "only tokenised examples that fill the whole window are batched, so every step is exactly "
                        + "batch x seq_len tokens in both variants (same sampler seed, same batches)",
                "the Java heap is fixed and pre-touched (child_jvm_options), so Java-side allocations (tokenizer, "
                        + "data, gRPC-like buffers) never move RSS after the baseline"));
        res.put("runtime_seconds", (System.nanoTime() - t0) / 1e9);
        res.put("manifest", RunManifest.create("bench device-memory", Map.of("model", model, "data", data,
                "cut", cut, "batch", batch, "seq_len", seqLen, "steps", steps, "warmup", warmup,
                "allocator", allocator, "lora_targets", targets, "device_weights", ServerMemoryBench.arg(args, 10,
                        "fp32")), SEED));
        Json.write(out, res); // through a temporary file and a move (AtomicFiles)
        System.out.println(table(res));
        System.out.println("wrote " + out);
    }

    /** Per variant: measured and modeled, and the headline ratios of the cut variant to the full one. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> compare(Map<String, Object> children, String cutVariant, String fullVariant) {
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, Object> per = new LinkedHashMap<>();
        children.forEach((v, o) -> {
            Map<String, Object> m = (Map<String, Object>) o;
            Map<String, Object> mb = (Map<String, Object>) m.get("model_bytes");
            Map<String, Object> row = new LinkedHashMap<>();
            long held = num(m.get("peak_above_before_model_bytes"));
            long modeled = num(m.get("modeled_total_bytes"));
            row.put("rss_before_model_bytes", num(m.get("rss_before_model_bytes")));
            row.put("peak_rss_bytes", num(m.get("peak_rss_bytes")));
            row.put("peak_above_before_model_bytes", held);
            row.put("steps_peak_above_before_model_bytes", num(m.get("steps_peak_above_before_model_bytes")));
            row.put("load_peak_above_before_model_bytes", num(m.get("load_peak_above_before_model_bytes")));
            row.put("load_transient_bytes", num(m.get("load_transient_bytes")));
            row.put("rss_after_load_above_before_model_bytes", num(m.get("rss_after_load_above_before_model_bytes")));
            row.put("static_bytes", num(mb.get("static_total")));
            row.put("frozen_weight_bytes", num(mb.get("frozen_total")));
            row.put("modeled_total_bytes", modeled);
            row.put("modeled_static_bytes", num(m.get("modeled_static_bytes")));
            row.put("measured_over_modeled", modeled > 0 ? (double) held / modeled : null);
            row.put("steps_measured_over_modeled", modeled > 0
                    ? (double) num(m.get("steps_peak_above_before_model_bytes")) / modeled : null);
            row.put("gap_bytes", held - modeled);
            per.put(v, row);
        });
        c.put("per_variant", per);
        if (per.containsKey(cutVariant) && per.containsKey(fullVariant)) {
            Map<String, Object> a = (Map<String, Object>) per.get(cutVariant);
            Map<String, Object> b = (Map<String, Object>) per.get(fullVariant);
            Map<String, Object> h = new LinkedHashMap<>();
            Double measured = ratio(a, b, "peak_above_before_model_bytes");
            Double steps = ratio(a, b, "steps_peak_above_before_model_bytes");
            Double modeled = ratio(a, b, "modeled_total_bytes");
            h.put("measured_" + cutVariant + "_over_full", measured);
            h.put("measured_steps_" + cutVariant + "_over_full", steps);
            h.put("modeled_" + cutVariant + "_over_full", modeled);
            h.put("static_" + cutVariant + "_over_full", ratio(a, b, "static_bytes"));
            h.put("measured_peak_rss_" + cutVariant + "_over_full", ratio(a, b, "peak_rss_bytes"));
            h.put("measured_less_than_a_third", measured != null && measured < 1.0 / 3);
            h.put("measured_steps_less_than_a_third", steps != null && steps < 1.0 / 3);
            h.put("modeled_less_than_a_third", modeled != null && modeled < 1.0 / 3);
            long dMeasured = num(b.get("peak_above_before_model_bytes")) - num(a.get("peak_above_before_model_bytes"));
            long dModeled = num(b.get("modeled_total_bytes")) - num(a.get("modeled_total_bytes"));
            h.put("measured_saving_bytes", dMeasured);
            h.put("modeled_saving_bytes", dModeled);
            h.put("saving_measured_over_modeled", dModeled != 0 ? (double) dMeasured / dModeled : null);
            long dSteps = num(b.get("steps_peak_above_before_model_bytes"))
                    - num(a.get("steps_peak_above_before_model_bytes"));
            h.put("measured_steps_saving_bytes", dSteps);
            h.put("steps_saving_measured_over_modeled", dModeled != 0 ? (double) dSteps / dModeled : null);
            c.put("headline", h);
        }
        return c;
    }

    static Double ratio(Map<String, Object> a, Map<String, Object> b, String key) {
        double x = num(a.get(key));
        double y = num(b.get(key));
        return y > 0 ? x / y : null;
    }

    static long num(Object o) {
        return o == null ? -1 : ((Number) o).longValue();
    }

    /** A plain-text table of the comparison, for the console. */
    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> res) {
        Map<String, Object> cmp = (Map<String, Object>) res.get("comparison");
        Map<String, Object> per = (Map<String, Object>) cmp.get("per_variant");
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "device memory, %s, batch %s x seq %s, LoRA r%s %s, allocator %s%n",
                res.get("model"), res.get("batch"), res.get("seq_len"),
                ((Map<String, Object>) res.get("lora")).get("rank"), ((Map<String, Object>) res.get("lora")).get("targets"),
                res.get("allocator")));
        sb.append(String.format(Locale.ROOT, "%-8s %10s %10s %10s %10s %10s %10s %10s %9s %9s%n", "variant",
                "rss0 MiB", "peak MiB", "held MiB", "load MiB", "steps MiB", "static MiB", "model MiB", "held/mod",
                "steps/mod"));
        per.forEach((v, o) -> {
            Map<String, Object> r = (Map<String, Object>) o;
            sb.append(String.format(Locale.ROOT, "%-8s %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %9s %9s%n", v,
                    ServerMemoryBench.mib(num(r.get("rss_before_model_bytes"))),
                    ServerMemoryBench.mib(num(r.get("peak_rss_bytes"))),
                    ServerMemoryBench.mib(num(r.get("peak_above_before_model_bytes"))),
                    ServerMemoryBench.mib(num(r.get("load_peak_above_before_model_bytes"))),
                    ServerMemoryBench.mib(num(r.get("steps_peak_above_before_model_bytes"))),
                    ServerMemoryBench.mib(num(r.get("static_bytes"))),
                    ServerMemoryBench.mib(num(r.get("modeled_total_bytes"))),
                    fmt(r.get("measured_over_modeled")), fmt(r.get("steps_measured_over_modeled"))));
        });
        Map<String, Object> h = (Map<String, Object>) cmp.get("headline");
        if (h != null) {
            h.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-40s %s%n", k,
                    v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v))));
        }
        return sb.toString();
    }

    private static String fmt(Object ratio) {
        return ratio == null ? "-" : String.format(Locale.ROOT, "%.3f", ((Number) ratio).doubleValue());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> runChild(String variant, Settings s, Map<String, String> env)
            throws IOException, InterruptedException {
        Path result = Files.createTempFile("device-memory-" + variant + "-", ".json");
        List<String> cmd = ChildJvm.command(CHILD_JVM_OPTIONS, DeviceMemoryBench.class);
        cmd.addAll(List.of("--child", variant, result.toString()));
        cmd.addAll(s.args());
        System.err.println("== child " + variant + ": " + String.join(" ", cmd.subList(cmd.indexOf("--child"), cmd.size())));
        return ChildJvm.run(cmd, env, variant, result);
    }

    // ------------------------------------------------------------------------------------------------------- child

    /**
     * One variant in this process: tokenizer and data first, engine warm-up, {@code rss_before_model}, then the
     * model part and the steps. {@code variant} is {@code "full"} or {@code "cut<c>"} with c = {@code s.cut()}.
     */
    static Map<String, Object> measure(Settings s, String variant) throws Exception {
        boolean full = variant.equals("full");
        if (!full && !variant.equals(s.cutVariant())) {
            throw new IllegalArgumentException("variant must be full or " + s.cutVariant() + ", got " + variant);
        }
        long rssStart = ProcessMemory.rssBytes();
        ModelResolver resolver = ModelResolver.fromEnvironment();
        ModelConfig config = resolver.config(s.model());
        if (s.cut() >= config.nLayers()) {
            throw new IllegalArgumentException("cut must be below the model's " + config.nLayers() + " layers");
        }
        LayerRange range = full ? LayerRange.all(config.nLayers()) : LayerRange.deviceSegment(s.cut());

        // 1. tokenizer (an empty model part: no weights), data, tokenisation, the batches of every step
        long td = System.nanoTime();
        Tokenizer tok;
        try (LoadedModel none = resolver.load(s.model(), new LayerRange(false, 0, 0, false), DType.F32)) {
            tok = none.requireTokenizer();
        }
        Dataset ds = DataResolver.resolve(s.data());
        int needed = s.batch() * (s.warmup() + s.steps());
        List<TokenizedExample> examples = fullWindowExamples(ds.train(), new Tokenization(tok, s.seqLen()), s.seqLen(),
                needed);
        BatchSampler sampler = new BatchSampler(examples, s.batch(), s.seqLen(), SEED);
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < s.warmup() + s.steps(); i++) {
            batches.add(sampler.next());
        }
        double dataSeconds = (System.nanoTime() - td) / 1e9;
        long rssAfterData = ProcessMemory.rssBytes();

        // 2. one-time engine costs, alike for both variants
        warmUp(config, s.lora());
        ServerMemoryBench.settle();
        long rssBeforeModel = ProcessMemory.rssBytes();
        long hwmBeforeModel = ProcessMemory.peakRssBytes();
        boolean hwmReset = ProcessMemory.resetPeak();
        long heapAtBaseline = Runtime.getRuntime().totalMemory();
        System.err.printf(Locale.ROOT, "%s: %d examples fill the %d-token window; RSS before model %.1f MiB%n",
                variant, examples.size(), s.seqLen(), ServerMemoryBench.mib(rssBeforeModel));

        Map<String, Object> res = new LinkedHashMap<>();
        try (ServerMemoryBench.RssSampler rss = ServerMemoryBench.RssSampler.start(SAMPLE_NANOS)) {
            // 3. the model part, as the device process loads it
            long tl = System.nanoTime();
            LoadedModel loaded = resolver.load(s.model(), range, DType.F32);
            DecoderModel model = loaded.model();
            if (!full) {
                model.quantizeLayers(s.storage()); // a quantized device dequantizes one layer at a time, recomputing
            }
            AdapterSet adapters = AdapterSet.init(config, s.lora(), range, SEED + 1);
            DeviceSegment device = full ? null
                    : new DeviceSegment("bench-device", s.cut(), model, adapters, AdamW.Settings.defaults());
            LoraTrainer trainer = full ? new LoraTrainer(model, adapters, AdamW.Settings.defaults(),
                    LrSchedule.constant(LR), MAX_GRAD_NORM) : null;
            AdamW optimizer = full ? trainer.optimizer() : device.optimizer();
            double loadSeconds = (System.nanoTime() - tl) / 1e9;
            ServerMemoryBench.settle();
            long afterLoad = ProcessMemory.rssBytes();
            long loadPeak = Math.max(rss.takePhaseMax(), hwmReset ? ProcessMemory.peakRssBytes() : -1);
            boolean stepHwmReset = hwmReset && ProcessMemory.resetPeak(); // the steps' own high-water mark from here
            rss.takePhaseMax();
            System.err.printf(Locale.ROOT, "%s: loaded %s in %.1f s, RSS +%.1f MiB%n", variant, range, loadSeconds,
                    ServerMemoryBench.mib(afterLoad - rssBeforeModel));

            // 4. steps
            List<Long> stepPeaks = new ArrayList<>();
            List<Double> stepSeconds = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            List<List<Integer>> shapes = new ArrayList<>();
            long stepsSampled = -1;
            for (int i = 0; i < batches.size(); i++) {
                Batch b = batches.get(i);
                shapes.add(List.of(b.batchSize(), b.seqLen()));
                long ts = System.nanoTime();
                final long stepSeed = SEED + 1000 + i;
                StepResult r = full ? trainer.step(b)
                        : device.localStep(b, p -> syntheticGradient(p.hidden(), b, stepSeed), LR, MAX_GRAD_NORM);
                stepSeconds.add((System.nanoTime() - ts) / 1e9);
                losses.add(r.loss());
                long peak = rss.takePhaseMax();
                stepsSampled = Math.max(stepsSampled, peak);
                stepPeaks.add(peak - rssBeforeModel);
                System.err.printf(Locale.ROOT, "%s: step %d%s %.2f s, peak RSS +%.1f MiB%n", variant, i + 1,
                        i < s.warmup() ? " (warm-up)" : "", stepSeconds.get(i),
                        ServerMemoryBench.mib(peak - rssBeforeModel));
            }
            long stepsHwm = stepHwmReset ? ProcessMemory.peakRssBytes() : -1; // since the reset after loading: every step
            long endRss = ProcessMemory.rssBytes();
            rss.stop();
            long stepsPeak = Math.max(stepsSampled, stepsHwm);
            long peak = Math.max(Math.max(stepsPeak, loadPeak), rss.max());

            // what the process holds, counted from its tensors
            Map<String, Long> mb = weightBytesByCategory(model);
            long loraParams = tensorBytes(adapters.parameters());
            long loraGrads = 0;
            for (Tensor p : adapters.parameters()) {
                Tensor g = p.grad();
                if (g.defined()) {
                    loraGrads += g.numel() * g.element_size();
                }
            }
            long optState = tensorBytes(new ArrayList<>(optimizer.state().values()));
            Map<String, Object> modelBytes = new LinkedHashMap<>(mb);
            modelBytes.put("lora_params", loraParams);
            modelBytes.put("lora_grads", loraGrads);
            modelBytes.put("optimizer_state", optState);
            modelBytes.put("static_total", mb.get("frozen_total") + loraParams + loraGrads + optState);
            // GPT-2 ties the LM head to the token embedding: counted once, under embedding
            modelBytes.put("head_tied_to_embedding", config.tiedEmbeddings() && range.head());

            MemoryModel mm = MemoryModel.of(config, s.lora(), s.batch(), s.seqLen());
            MemoryBreakdown modeled = full ? mm.fullModel() : mm.device(s.cut(), s.storage());

            res.put("variant", variant);
            res.put("model", loaded.id());
            res.put("range", Map.of("embedding", range.embedding(), "from", range.from(), "to", range.to(),
                    "head", range.head()));
            res.put("cut", full ? null : s.cut());
            res.put("step", full ? "LoraTrainer.step (fedlora's local step: forward, loss, backward, clip, AdamW)"
                    : "DeviceSegment.localStep (forward to the cut, backward from the gradient at the cut, clip, AdamW)");
            res.put("gradient_at_cut", full ? null : GRADIENT_NOTE);
            res.put("batch", s.batch());
            res.put("seq_len", s.seqLen());
            res.put("batch_shapes", shapes);
            res.put("examples", examples.size());
            res.put("warmup_steps", s.warmup());
            res.put("measured_steps", s.steps());
            res.put("rss_jvm_start_bytes", rssStart);
            res.put("rss_after_data_bytes", rssAfterData);
            res.put("rss_before_model_bytes", rssBeforeModel);
            res.put("hwm_before_model_bytes", hwmBeforeModel);
            res.put("hwm_reset_supported", hwmReset);
            res.put("peak_rss_bytes", peak);
            // the headline: what holding and training the model part costs the process
            res.put("peak_above_before_model_bytes", peak - rssBeforeModel);
            res.put("load_peak_above_before_model_bytes", loadPeak - rssBeforeModel);
            res.put("rss_after_load_above_before_model_bytes", afterLoad - rssBeforeModel);
            res.put("load_transient_bytes", loadPeak - afterLoad);
            res.put("largest_weight_tensor_bytes", model.weights().values().stream()
                    .mapToLong(t -> t.numel() * t.element_size()).max().orElse(0));
            // the training phase alone (after loading): max of the samples and VmHWM reset after loading
            res.put("steps_peak_above_before_model_bytes", stepsPeak - rssBeforeModel);
            res.put("steps_peak_sampled_above_before_model_bytes", stepsSampled - rssBeforeModel);
            res.put("steps_hwm_above_before_model_bytes", stepHwmReset ? stepsHwm - rssBeforeModel : null);
            res.put("step_peak_above_before_model_bytes", stepPeaks);
            res.put("rss_end_above_before_model_bytes", endRss - rssBeforeModel);
            res.put("rss_samples", rss.samples());
            res.put("model_bytes", modelBytes);
            res.put("frozen_weights_match_cost_model", mb.get("frozen_total") == mm.frozenBytes(range));
            res.put("modeled", modeled.toMap());
            res.put("modeled_total_bytes", modeled.total());
            res.put("modeled_static_bytes", modeled.frozenWeights() + modeled.loraState());
            res.put("measured_over_modeled", (double) (peak - rssBeforeModel) / modeled.total());
            res.put("steps_measured_over_modeled", (double) (stepsPeak - rssBeforeModel) / modeled.total());
            res.put("gap_bytes", peak - rssBeforeModel - modeled.total());
            res.put("java_heap_committed_baseline_bytes", heapAtBaseline);
            res.put("java_heap_committed_end_bytes", Runtime.getRuntime().totalMemory());
            res.put("data_seconds", dataSeconds);
            res.put("load_seconds", loadSeconds);
            res.put("step_seconds", stepSeconds);
            res.put("losses", losses);

            if (trainer != null) {
                trainer.close();
            }
            if (device != null) {
                device.close();
            }
            adapters.close();
            loaded.close();
        }
        return res;
    }

    /**
     * Tokenises examples in order, a chunk at a time, keeping those that fill the whole window, until {@code needed}
     * are found or the data runs out; when fewer than one batch fill it, every tokenised example is returned.
     */
    static List<TokenizedExample> fullWindowExamples(List<Example> train, Tokenization t, int seqLen, int needed) {
        List<TokenizedExample> fullLen = new ArrayList<>();
        List<TokenizedExample> all = new ArrayList<>();
        for (int i = 0; i < train.size() && fullLen.size() < needed; i += TOKENIZE_CHUNK) {
            for (TokenizedExample e : t.applyAll(train.subList(i, Math.min(train.size(), i + TOKENIZE_CHUNK)))) {
                all.add(e);
                if (e.length() >= seqLen) {
                    fullLen.add(e);
                }
            }
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("the data has no usable example");
        }
        return fullLen.isEmpty() ? all : fullLen;
    }

    /** What the server would send back: a gradient of the cut activation's shape, seeded per step. */
    static GradientPayload syntheticGradient(Tensor hidden, Batch b, long seed) {
        torch.manual_seed(seed);
        Tensor g = torch.randn(Tensors.shape(hidden)).mul_(new org.bytedeco.pytorch.Scalar(1e-3));
        return new GradientPayload(g, Double.NaN, BatchTensors.countTargets(b));
    }

    /** Frozen weight bytes by part ({@link DecoderModel#bytesByPart}). */
    static Map<String, Long> weightBytesByCategory(DecoderModel m) {
        return m.bytesByPart();
    }

    static long tensorBytes(List<Tensor> ts) {
        long n = 0;
        for (Tensor t : ts) {
            n += t.numel() * t.element_size();
        }
        return n;
    }

    /**
     * Runs both step paths (a full LoRA step and a device step with a synthetic gradient) on a tiny model, plus a
     * GEMM, so that one-time costs (natives, kernels, JIT, autograd threads, BLAS buffers) fall into the baseline.
     */
    static void warmUp(ModelConfig like, LoraConfig lora) {
        Engine.init();
        ModelConfig tiny = ModelPresets.get(like.family() == ModelFamily.LLAMA ? "tiny-llama" : "tiny-gpt2");
        int b = 2;
        int t = 16;
        SplittableRandom rng = new SplittableRandom(SEED);
        long[] ids = new long[b * t];
        long[] tg = new long[b * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(tiny.vocabSize());
            tg[i] = rng.nextInt(tiny.vocabSize());
        }
        int[] lens = new int[b];
        Arrays.fill(lens, t);
        Batch batch = new Batch(ids, tg, lens, b, t);
        LoraConfig l = new LoraConfig(lora.rank(), lora.alpha(), 0,
                lora.targets().stream().filter(x -> !x.equals("embed")).toList());
        try (DecoderModel m = RandomInit.create(tiny, LayerRange.all(tiny.nLayers()), DType.F32, 1);
             AdapterSet a1 = AdapterSet.init(tiny, l, LayerRange.all(tiny.nLayers()), 1);
             AdapterSet a2 = AdapterSet.init(tiny, l, LayerRange.deviceSegment(1), 2);
             LoraTrainer tr = new LoraTrainer(m, a1, AdamW.Settings.defaults(), LrSchedule.constant(LR), MAX_GRAD_NORM);
             DeviceSegment d = new DeviceSegment("warm", 1, m, a2, AdamW.Settings.defaults())) {
            for (int i = 0; i < 3; i++) {
                tr.step(batch);
                final long seed = i;
                d.localStep(batch, p -> syntheticGradient(p.hidden(), batch, seed), LR, MAX_GRAD_NORM);
            }
        }
        try (NoGradGuard ng = new NoGradGuard(); NativeScope s = new NativeScope()) {
            Tensor x = torch.randn(512, 512);
            for (int k = 0; k < 3; k++) {
                x.matmul(x);
            }
        }
        ProcessMemory.rssBytes();
        Json.compact(Map.of("warm", 1));
    }
}
