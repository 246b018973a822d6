package org.memsfl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.cost.MemoryModel;
import org.memsfl.quant.WeightStorage;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.split.DeviceSegment;
import org.memsfl.train.AdamW;
import org.memsfl.train.LoraTrainer;
import org.memsfl.util.Json;
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
            Map<String, Object> res = DeviceMemoryChild.measure(Settings.fromArgs(args, 3), args[1]);
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
        String model = ChildJvm.arg(args, 0, "random:gpt2");
        String data = ChildJvm.arg(args, 1, "dolly");
        int cut = Integer.parseInt(ChildJvm.arg(args, 2, "2"));
        int batch = Integer.parseInt(ChildJvm.arg(args, 3, "4"));
        int seqLen = Integer.parseInt(ChildJvm.arg(args, 4, "128"));
        int steps = Integer.parseInt(ChildJvm.arg(args, 5, "5"));
        Path out = Path.of(ChildJvm.arg(args, 6, "bench-results/device_memory.json"));
        String allocator = ChildJvm.arg(args, 7, "fixed-mmap");
        String targets = ChildJvm.arg(args, 8, "q,v");
        int warmup = Integer.parseInt(ChildJvm.arg(args, 9, "1"));
        List<WeightStorage> storages = new ArrayList<>();
        for (String st : ChildJvm.arg(args, 10, "fp32").split(",")) {
            storages.add(WeightStorage.parse(st));
        }
        boolean withFull = Boolean.parseBoolean(ChildJvm.arg(args, 11, "true"));
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
        res.put("comparison", DeviceMemoryComparison.compare(children, s.cutVariant(), "full"));
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
                "allocator", allocator, "lora_targets", targets, "device_weights", ChildJvm.arg(args, 10,
                        "fp32")), SEED));
        Json.write(out, res); // through a temporary file and a move (AtomicFiles)
        if (Boolean.parseBoolean(ChildJvm.arg(args, 12, "false"))) {
            System.out.println(Json.pretty(res)); // --json: the result document, as the other benches print it
        } else {
            System.out.println(DeviceMemoryComparison.table(res));
            System.out.println("wrote " + out);
        }
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
}
