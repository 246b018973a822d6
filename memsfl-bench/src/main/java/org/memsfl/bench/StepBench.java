package org.memsfl.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.cost.Flops;
import org.memsfl.data.Batch;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.engine.NativeScope;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.RandomInit;
import org.memsfl.train.AdamW;
import org.memsfl.train.BatchTensors;
import org.memsfl.train.GradClip;
import org.memsfl.train.ChunkedHeadLoss;
import org.memsfl.util.ProcessMemory;

/**
 * One LoRA training step (embedding, layers, chunked head and float32 loss as {@code LoraTrainer} runs them, backward
 * into the adapters, clipping, AdamW) per
 * compute dtype, each against a 1024^3 GEMM in the same dtype, timed alternately in the same process under the same
 * thread setting, so machine drift hits step and GEMM alike. Frozen weights and activations are in the variant's
 * dtype; LoRA factors, AdamW moments and the loss are float32 (the mixed-precision rule of {@code Lora}).
 * The step's FLOPs come from the shape model ({@link Flops}); peak RSS is the process's high-water mark since the
 * variant began (reset through /proc/self/clear_refs).
 */
public final class StepBench {

    /** The GEMM every step is compared with: (1024 x 1024) times (1024 x 1024). */
    public static final int GEMM_N = 1024;

    /**
     * @param config     shapes of the model (random weights; time and memory do not depend on their values)
     * @param modelId    how the model was named, for the result
     * @param layers     transformer blocks to run, 1..n_layers (fewer than the model has: a shallower copy of it)
     * @param batch      sequences per step
     * @param seqLen     tokens per sequence
     * @param lora       adapters trained
     * @param dtypes     compute dtypes, each one entry (F32, BF16, F16)
     * @param ompThreads OpenMP thread counts to try per dtype; empty: the engine's choice for that dtype
     * @param reps       timed steps per variant (after one warm-up step)
     * @param seed       weights, adapters and batch
     */
    public record Settings(ModelConfig config, String modelId, int layers, int batch, int seqLen, LoraConfig lora,
                           List<DType> dtypes, List<Integer> ompThreads, int reps, long seed) {
        public Settings {
            if (layers < 1 || layers > config.nLayers()) {
                throw new IllegalArgumentException("layers must be in [1, " + config.nLayers() + "], got " + layers);
            }
            if (batch < 1 || seqLen < 1 || seqLen > config.maxSeqLen()) {
                throw new IllegalArgumentException("batch must be >= 1 and seq len in [1, " + config.maxSeqLen()
                        + "], got " + batch + " and " + seqLen);
            }
            if (reps < 1) {
                throw new IllegalArgumentException("reps must be >= 1, got " + reps);
            }
            for (DType d : dtypes) {
                if (d != DType.F32 && d != DType.BF16 && d != DType.F16) {
                    throw new IllegalArgumentException("dtype must be fp32, bf16 or fp16, got " + d);
                }
            }
            if (dtypes.isEmpty()) {
                throw new IllegalArgumentException("give at least one dtype");
            }
            for (int t : ompThreads) {
                if (t < 1) {
                    throw new IllegalArgumentException("OpenMP threads must be >= 1, got " + t);
                }
            }
            dtypes = List.copyOf(dtypes);
            ompThreads = List.copyOf(ompThreads);
        }
    }

    private StepBench() {
    }

    /** Runs every (dtype, thread) variant in turn; the result map is what {@code bench step --json} prints. */
    public static Map<String, Object> run(Settings s) {
        Engine.init();
        List<Map<String, Object>> entries = new ArrayList<>();
        for (DType d : s.dtypes()) {
            List<Integer> threads = s.ompThreads().isEmpty() ? List.of(Engine.threadsFor(d)) : s.ompThreads();
            for (int t : threads) {
                entries.add(variant(s, d, t, s.ompThreads().isEmpty()));
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("benchmark", "lora_step");
        out.put("model", s.modelId());
        out.put("layers", s.layers());
        out.put("model_layers", s.config().nLayers());
        out.put("batch", s.batch());
        out.put("seq_len", s.seqLen());
        out.put("lora_rank", s.lora().rank());
        out.put("lora_targets", s.lora().targets());
        out.put("reps", s.reps());
        out.put("openblas_threads", Engine.blasThreads());
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("entries", entries);
        out.put("floors", floors(entries));
        return out;
    }

    /** The floors, reported (never asserted): bf16 speed-up over fp32, and each step's share of its GEMM. */
    static Map<String, Object> floors(List<Map<String, Object>> entries) {
        Map<String, Object> f = new LinkedHashMap<>();
        Map<String, Object> fp32 = best(entries, "fp32");
        Map<String, Object> bf16 = best(entries, "bf16");
        if (fp32 != null) {
            f.put("fp32_ratio_to_gemm", fp32.get("ratio_to_gemm"));
            f.put("fp32_ratio_to_gemm_floor", 0.70);
            f.put("fp32_ratio_met", (double) fp32.get("ratio_to_gemm") >= 0.70);
        }
        if (bf16 != null) {
            f.put("bf16_ratio_to_gemm", bf16.get("ratio_to_gemm"));
            f.put("bf16_ratio_to_gemm_floor", 0.55);
            f.put("bf16_ratio_met", (double) bf16.get("ratio_to_gemm") >= 0.55);
        }
        if (fp32 != null && bf16 != null) {
            double speedup = (double) fp32.get("step_seconds") / (double) bf16.get("step_seconds");
            f.put("bf16_speedup_over_fp32", speedup);
            f.put("bf16_speedup_floor", 1.7);
            f.put("bf16_speedup_met", speedup >= 1.7);
        }
        return f;
    }

    /** The fastest entry of a dtype (the thread setting the engine should choose for it). */
    static Map<String, Object> best(List<Map<String, Object>> entries, String dtype) {
        Map<String, Object> best = null;
        for (Map<String, Object> e : entries) {
            if (e.get("dtype").equals(dtype)
                    && (best == null || (double) e.get("step_seconds") < (double) best.get("step_seconds"))) {
                best = e;
            }
        }
        return best;
    }

    private static Map<String, Object> variant(Settings s, DType dtype, int threads, boolean engineChoice) {
        torch.set_num_threads(threads);
        ModelConfig c = s.config();
        LoraConfig lora = s.lora().forModel(c);
        LayerRange range = new LayerRange(true, 0, s.layers(), true);
        double stepFlops = Flops.layersForward(c, lora, s.batch(), s.seqLen(), 0, s.layers())
                + Flops.layersBackward(c, lora, s.batch(), s.seqLen(), 0, s.layers())
                + 2 * Flops.headForward(c, (long) s.batch() * s.seqLen());
        double gemmFlops = 2.0 * GEMM_N * GEMM_N * GEMM_N;
        List<Double> steps = new ArrayList<>();
        List<Double> gemms = new ArrayList<>();
        System.gc();
        long rssBefore = ProcessMemory.rssBytes();
        boolean hwmReset = ProcessMemory.resetPeak();
        System.err.printf("bench step: %s, %d OpenMP threads, %s, %d of %d layers, B=%d T=%d%n", dtype, threads,
                s.modelId(), s.layers(), c.nLayers(), s.batch(), s.seqLen());
        try (DecoderModel model = RandomInit.create(c, range, dtype, s.seed());
             AdapterSet adapters = AdapterSet.init(c, lora, range, s.seed());
             AdamW opt = new AdamW(adapters.namedParameters(), AdamW.Settings.defaults());
             NativeScope operands = new NativeScope()) {
            Batch b = randomBatch(c.vocabSize(), s.batch(), s.seqLen(), s.seed());
            Tensor x = torch.randn(GEMM_N, GEMM_N).to(dtype.scalarType());
            Tensor y = torch.randn(GEMM_N, GEMM_N).to(dtype.scalarType());
            step(model, adapters, opt, b, s.layers()); // warm-up: allocator, kernels, oneDNN primitives
            gemm(x, y, 2);
            for (int r = 0; r < s.reps(); r++) {
                long t0 = System.nanoTime();
                step(model, adapters, opt, b, s.layers());
                steps.add((System.nanoTime() - t0) / 1e9);
                gemms.add(gemm(x, y, 5) / 5);
                System.err.printf("  rep %d/%d: step %.3f s, gemm %.4f s%n", r + 1, s.reps(), steps.get(r), gemms.get(r));
            }
        }
        double step = median(steps);
        double gemm = median(gemms);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("dtype", dtype.optionName());
        e.put("omp_threads", threads);
        e.put("omp_threads_chosen_by_engine", engineChoice);
        e.put("step_seconds", step);
        e.put("step_seconds_all", steps);
        e.put("step_flops", stepFlops);
        e.put("step_gflops_per_s", stepFlops / step / 1e9);
        e.put("gemm_seconds", gemm);
        e.put("gemm_gflops_per_s", gemmFlops / gemm / 1e9);
        e.put("ratio_to_gemm", (stepFlops / step) / (gemmFlops / gemm));
        e.put("rss_before_bytes", rssBefore);
        e.put("peak_rss_bytes", hwmReset ? ProcessMemory.peakRssBytes() : -1L);
        return e;
    }

    /** One training step over layers [0, layers): the pieces {@code LoraTrainer} runs, for any depth. */
    static double step(DecoderModel model, AdapterSet adapters, AdamW opt, Batch b, int layers) {
        try (NativeScope scope = new NativeScope()) {
            ForwardContext ctx = ForwardContext.training(adapters)
                    .withDropout(new org.memsfl.model.DropoutKey(opt.steps(), 0)); // as LoraTrainer's steps draw
            Tensor h = model.forwardLayers(model.embed(BatchTensors.inputIds(b), ctx), 0, layers, ctx);
            opt.zeroGrad();
            double loss = ChunkedHeadLoss.backward(model, h, BatchTensors.targets(b), ctx);
            GradClip.clip(adapters.parameters(), 1.0);
            opt.step(1e-4);
            return loss;
        }
    }

    static double gemm(Tensor x, Tensor y, int times) {
        long t0 = System.nanoTime();
        try (NoGradGuard ng = new NoGradGuard()) {
            for (int i = 0; i < times; i++) {
                try (NativeScope s = new NativeScope()) {
                    x.matmul(y);
                }
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    static Batch randomBatch(int vocab, int batch, int seqLen, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long[] ids = new long[batch * seqLen];
        long[] tg = new long[batch * seqLen];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(vocab);
            tg[i] = rng.nextInt(vocab);
        }
        int[] lens = new int[batch];
        java.util.Arrays.fill(lens, seqLen);
        return new Batch(ids, tg, lens, batch, seqLen);
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
