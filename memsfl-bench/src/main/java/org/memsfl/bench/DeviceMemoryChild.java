package org.memsfl.bench;

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

/**
 * One child JVM of {@link DeviceMemoryBench}: a device process's peak RSS while it loads its segment (or the full
 * model) and runs local steps against a synthetic server gradient, beside the memory model.
 */
final class DeviceMemoryChild {

    private DeviceMemoryChild() {
    }

    /**
     * One variant in this process: tokenizer and data first, engine warm-up, {@code rss_before_model}, then the
     * model part and the steps. {@code variant} is {@code "full"} or {@code "cut<c>"} with c = {@code s.cut()}.
     */
    static Map<String, Object> measure(DeviceMemoryBench.Settings s, String variant) throws Exception {
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
        BatchSampler sampler = new BatchSampler(examples, s.batch(), s.seqLen(), DeviceMemoryBench.SEED);
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < s.warmup() + s.steps(); i++) {
            batches.add(sampler.next());
        }
        double dataSeconds = (System.nanoTime() - td) / 1e9;
        long rssAfterData = ProcessMemory.rssBytes();

        // 2. one-time engine costs, alike for both variants
        warmUp(config, s.lora());
        MemoryProbe.settle();
        long rssBeforeModel = ProcessMemory.rssBytes();
        long hwmBeforeModel = ProcessMemory.peakRssBytes();
        boolean hwmReset = ProcessMemory.resetPeak();
        long heapAtBaseline = Runtime.getRuntime().totalMemory();
        System.err.printf(Locale.ROOT, "%s: %d examples fill the %d-token window; RSS before model %.1f MiB%n",
                variant, examples.size(), s.seqLen(), MemoryProbe.mib(rssBeforeModel));

        Map<String, Object> res = new LinkedHashMap<>();
        try (RssSampler rss = RssSampler.start(DeviceMemoryBench.SAMPLE_NANOS)) {
            // 3. the model part, as the device process loads it
            long tl = System.nanoTime();
            // a quantized device stores each layer weight as it reads it (never the float segment beside its stored
            // copy) and dequantizes one layer at a time, recomputing
            LoadedModel loaded = resolver.load(s.model(), range, DType.F32, full ? null : s.storage());
            DecoderModel model = loaded.model();
            AdapterSet adapters = AdapterSet.init(config, s.lora(), range, DeviceMemoryBench.SEED + 1);
            DeviceSegment device = full ? null
                    : new DeviceSegment("bench-device", s.cut(), model, adapters, AdamW.Settings.defaults());
            LoraTrainer trainer = full ? new LoraTrainer(model, adapters, AdamW.Settings.defaults(),
                    LrSchedule.constant(DeviceMemoryBench.LR), DeviceMemoryBench.MAX_GRAD_NORM) : null;
            AdamW optimizer = full ? trainer.optimizer() : device.optimizer();
            double loadSeconds = (System.nanoTime() - tl) / 1e9;
            MemoryProbe.settle();
            long afterLoad = ProcessMemory.rssBytes();
            long loadPeak = Math.max(rss.takePhaseMax(), hwmReset ? ProcessMemory.peakRssBytes() : -1);
            boolean stepHwmReset = hwmReset && ProcessMemory.resetPeak(); // the steps' own high-water mark from here
            rss.takePhaseMax();
            System.err.printf(Locale.ROOT, "%s: loaded %s in %.1f s, RSS +%.1f MiB%n", variant, range, loadSeconds,
                    MemoryProbe.mib(afterLoad - rssBeforeModel));

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
                final long stepSeed = DeviceMemoryBench.SEED + 1000 + i;
                StepResult r = full ? trainer.step(b)
                        : device.localStep(b, p -> syntheticGradient(p.hidden(), b, stepSeed), DeviceMemoryBench.LR, DeviceMemoryBench.MAX_GRAD_NORM);
                stepSeconds.add((System.nanoTime() - ts) / 1e9);
                losses.add(r.loss());
                long peak = rss.takePhaseMax();
                stepsSampled = Math.max(stepsSampled, peak);
                stepPeaks.add(peak - rssBeforeModel);
                System.err.printf(Locale.ROOT, "%s: step %d%s %.2f s, peak RSS +%.1f MiB%n", variant, i + 1,
                        i < s.warmup() ? " (warm-up)" : "", stepSeconds.get(i),
                        MemoryProbe.mib(peak - rssBeforeModel));
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
            res.put("gradient_at_cut", full ? null : DeviceMemoryBench.GRADIENT_NOTE);
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
        for (int i = 0; i < train.size() && fullLen.size() < needed; i += DeviceMemoryBench.TOKENIZE_CHUNK) {
            for (TokenizedExample e : t.applyAll(train.subList(i, Math.min(train.size(), i + DeviceMemoryBench.TOKENIZE_CHUNK)))) {
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
        SplittableRandom rng = new SplittableRandom(DeviceMemoryBench.SEED);
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
             LoraTrainer tr = new LoraTrainer(m, a1, AdamW.Settings.defaults(), LrSchedule.constant(DeviceMemoryBench.LR), DeviceMemoryBench.MAX_GRAD_NORM);
             DeviceSegment d = new DeviceSegment("warm", 1, m, a2, AdamW.Settings.defaults())) {
            for (int i = 0; i < 3; i++) {
                tr.step(batch);
                final long seed = i;
                d.localStep(batch, p -> syntheticGradient(p.hidden(), batch, seed), DeviceMemoryBench.LR, DeviceMemoryBench.MAX_GRAD_NORM);
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
