package org.memsfl.bench;

import java.nio.file.Path;
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
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;
import org.memsfl.train.AdamW;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.LrSchedule;
import org.memsfl.util.Json;
import org.memsfl.util.RunManifest;

/**
 * One LoRA training step (forward, backward, AdamW) on a random-initialised model, against a plain fp32 GEMM timed
 * in the same process, interleaved, so machine drift hits both alike. Reports step seconds, the step's FLOPs from
 * the shape model ({@link Flops#trainStep}), achieved GFLOP/s and the ratio to the GEMM's GFLOP/s.
 * Usage: {@code LoraStepBench [preset=gpt2] [batch=4] [seqLen=128] [rank=8] [reps=5] [out=bench-results/lora_step.json]}.
 */
public final class LoraStepBench {

    private LoraStepBench() {
    }

    public static void main(String[] args) {
        String preset = arg(args, 0, "gpt2");
        int batch = Integer.parseInt(arg(args, 1, "4"));
        int seqLen = Integer.parseInt(arg(args, 2, "128"));
        int rank = Integer.parseInt(arg(args, 3, "8"));
        int reps = Integer.parseInt(arg(args, 4, "5"));
        Path out = Path.of(arg(args, 5, "bench-results/lora_step.json"));
        Engine.init();
        ModelConfig c = ModelPresets.get(preset);
        LoraConfig lora = new LoraConfig(rank, 2.0 * rank, 0, List.of("q", "v"));
        double stepFlops = Flops.trainStep(c, lora, batch, seqLen);
        int gemmN = 1024;
        double gemmFlops = 2.0 * gemmN * gemmN * gemmN;
        List<Double> stepTimes = new ArrayList<>();
        List<Double> gemmTimes = new ArrayList<>();
        try (DecoderModel model = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F32, 0)) {
            AdapterSet adapters = AdapterSet.init(c, lora, LayerRange.all(c.nLayers()), 0);
            Batch b = randomBatch(c.vocabSize(), batch, seqLen);
            Tensor x = torch.randn(gemmN, gemmN);
            Tensor y = torch.randn(gemmN, gemmN);
            try (LoraTrainer trainer = new LoraTrainer(model, adapters, AdamW.Settings.defaults(), LrSchedule.constant(1e-4), 0)) {
                trainer.step(b); // warm-up: allocator, kernels
                gemm(x, y, 3);
                for (int r = 0; r < reps; r++) {
                    long t0 = System.nanoTime();
                    trainer.step(b);
                    stepTimes.add((System.nanoTime() - t0) / 1e9);
                    gemmTimes.add(gemm(x, y, 5) / 5);
                    System.err.printf("rep %d/%d: step %.3f s, gemm %.4f s%n", r + 1, reps, stepTimes.get(r), gemmTimes.get(r));
                }
            }
        }
        double step = median(stepTimes);
        double gemm = median(gemmTimes);
        double stepGflops = stepFlops / step / 1e9;
        double gemmGflops = gemmFlops / gemm / 1e9;
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("benchmark", "lora_step_vs_gemm");
        res.put("model", "random:" + preset);
        res.put("batch", batch);
        res.put("seq_len", seqLen);
        res.put("lora_rank", rank);
        res.put("lora_targets", lora.targets());
        res.put("reps", reps);
        res.put("step_seconds_median", step);
        res.put("step_seconds_all", stepTimes);
        res.put("step_flops", stepFlops);
        res.put("step_gflops_per_s", stepGflops);
        res.put("gemm_size", gemmN);
        res.put("gemm_seconds_median", gemm);
        res.put("gemm_gflops_per_s", gemmGflops);
        res.put("ratio_step_to_gemm", stepGflops / gemmGflops);
        res.put("manifest", RunManifest.create("bench lora-step", Map.of("preset", preset), 0));
        Json.write(out, res);
        System.out.println(Json.pretty(res));
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

    static Batch randomBatch(int vocab, int batch, int seqLen) {
        SplittableRandom rng = new SplittableRandom(1);
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

    static String arg(String[] a, int i, String dflt) {
        return a.length > i ? a[i] : dflt;
    }
}
