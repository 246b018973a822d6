package org.memsfl.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.memsfl.bench.StepBench;
import org.memsfl.engine.DType;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.util.RunManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench step}: one LoRA step per compute dtype against the GEMM of that dtype, in one process. */
@Command(name = "step", description = "Time one LoRA training step per dtype beside a 1024^3 GEMM of that dtype.")
public final class BenchStepCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "random:gpt2",
            description = "Model whose shapes are timed (random weights of its config; default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--layers", defaultValue = "0", description = "Transformer blocks to run (0 = all; fewer: a shallower"
            + " copy of the model, for shapes that do not fit).")
    int layers;

    @Option(names = "--batch-size", defaultValue = "4", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Mixin
    LoraOptions loraOptions;

    @Option(names = "--dtype", defaultValue = "fp32,bf16", split = ",",
            description = "Compute dtypes, one entry each (default: ${DEFAULT-VALUE}).")
    List<String> dtypes;

    @Option(names = "--omp-threads", split = ",", description = "OpenMP thread counts to try for every dtype (default:"
            + " the engine's choice per dtype).")
    List<Integer> ompThreads = new ArrayList<>();

    @Option(names = "--reps", defaultValue = "5", description = "Timed steps per entry (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--out", description = "Result file (default: a new bench-results/step-<time>.json).")
    Path out;

    @Option(names = "--overwrite", description = "Replace --out if it exists.")
    boolean overwrite;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        ModelConfig c = ModelResolver.resolveConfig(model);
        List<DType> ds = new ArrayList<>();
        for (String d : dtypes) {
            ds.add(DType.parse(d));
        }
        if (layers < 0 || layers > c.nLayers()) {
            throw new org.memsfl.util.BadInputException("--layers: expected 0 (all) to " + c.nLayers() + ", got " + layers);
        }
        BenchCommand.batchShape(batch, seqLen, c);
        BenchCommand.atLeast("--reps", reps, 1);
        for (int t : ompThreads) {
            BenchCommand.atLeast("--omp-threads", t, 1);
        }
        StepBench.Settings s = new StepBench.Settings(c, model, layers == 0 ? c.nLayers() : layers, batch, seqLen,
                loraOptions.config(), ds, ompThreads, reps, common.seed);
        Path file = BenchCommand.resultFile(out, overwrite, "step");
        Map<String, Object> r = new LinkedHashMap<>(StepBench.run(s));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model);
        settings.put("layers", s.layers());
        settings.put("batch", batch);
        settings.put("seq_len", seqLen);
        settings.put("dtypes", dtypes);
        settings.put("omp_threads", ompThreads);
        settings.put("reps", reps);
        settings.putAll(s.lora().toSettings());
        r.put("manifest", RunManifest.create("bench step", settings, common.seed));
        BenchCommand.emit(r, file, common.json, () -> print(r));
        return Main.EXIT_OK;
    }

    @SuppressWarnings("unchecked")
    private static void print(Map<String, Object> r) {
        System.out.printf("%-5s %4s %9s %9s %9s %7s %9s%n", "dtype", "omp", "step s", "GFLOP/s", "GEMM GF/s", "ratio",
                "peak MiB");
        for (Map<String, Object> e : (List<Map<String, Object>>) r.get("entries")) {
            System.out.printf("%-5s %4d %9.3f %9.1f %9.1f %7.2f %9.0f%n", e.get("dtype"), e.get("omp_threads"),
                    e.get("step_seconds"), e.get("step_gflops_per_s"), e.get("gemm_gflops_per_s"), e.get("ratio_to_gemm"),
                    ((Number) e.get("peak_rss_bytes")).doubleValue() / (1 << 20));
        }
        System.out.println("floors: " + r.get("floors"));
    }
}
