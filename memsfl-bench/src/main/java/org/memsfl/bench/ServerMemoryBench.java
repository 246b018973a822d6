package org.memsfl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.cost.TrainingMethod;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.engine.NativeScope;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.GradientPayload;
import org.memsfl.split.ServerSegment;
import org.memsfl.split.ServerState;
import org.memsfl.train.AdamW;
import org.memsfl.train.GradClip;
import org.memsfl.train.Loss;
import org.memsfl.util.Json;
import org.memsfl.util.ProcessMemory;
import org.memsfl.util.RunManifest;

/**
 * What the edge server process really holds for the server side of {@code memsfl} versus {@code sfl-v1}
 * (DESIGN.md sections 1, 2 and 5), measured as resident memory of a real process and set beside the memory model
 * ({@link MethodMemory}) for the same settings.
 *
 * <p>The parent launches one child JVM per variant, one after another, on the same java binary and classpath, so
 * that each starts clean. A child warms the engine up on a tiny model (kernels, JIT, BLAS buffers, thread pools),
 * takes its RSS baseline from {@code /proc/self/status}, resets the kernel's high-water mark, then builds the server
 * side as the method holds it and runs server steps while a sampler thread reads VmRSS every 5 ms:
 * <ul>
 *   <li>{@code memsfl}: ONE frozen full model plus, per device, a server-side adapter set over [cut_u, N) with its
 *       AdamW; devices are served one at a time through {@link ServerSegment#process}, on one worker thread.</li>
 *   <li>{@code sfl-v1}: per device its OWN copy of layers [cut_u, N) plus norm and head, with its adapters and AdamW;
 *       all devices' steps are in flight at once, one worker thread each (autograd state is per thread; the fixed
 *       pool of workers is started before the baseline and kept, as a server keeps its workers). The workers
 *       start together and wait at a barrier after forward and loss, so every device's graph is alive at the same
 *       time before the backwards run: the worst case the memory model charges the parallel server with. The body
 *       is {@link ServerSegment#gradient}'s, split at the barrier.</li>
 *   <li>{@code sfl-v1-free}: as sfl-v1, but each thread runs {@link ServerSegment#process} start to finish with no
 *       barrier: a parallel server whose devices merely start together.</li>
 *   <li>{@code memsfl-mb1}: memsfl whose server runs each device's batch through its segment one row at a time;
 *       {@code memsfl-rc} and {@code memsfl-mb1-rc}: memsfl and memsfl-mb1 whose server recomputes each layer's
 *       activations during the backward ({@code new ServerSegment(rows, true)}).</li>
 * </ul>
 * For the sequential (memsfl) variants each server step ({@link ServerSegment#process}) is timed, so that the compute
 * that recomputation adds shows as a ratio of server busy time against {@code memsfl} in the same run.
 * The model counts what autograd keeps; RSS also holds allocator slack (glibc arenas per thread, cached free
 * chunks) and short-lived temporaries, so both are reported, with the gap.
 *
 * <p>Usage: {@code ServerMemoryBench [preset=gpt2-medium] [fleet=paper-5] [batch=4] [seqLen=128] [rounds=3]
 * [out=bench-results/server_memory.json] [variants=memsfl,sfl-v1,sfl-v1-free] [trim=true] [allocator=default]}.
 * {@code allocator=fixed-mmap} runs the children with glibc's mmap threshold fixed at 1 MiB ({@link #allocatorEnv}).
 * With {@code trim} each child
 * calls glibc's {@code malloc_trim(0)} once after building (all variants alike), so that the heap holes the
 * random-weight construction leaves behind are not charged to the step phase; the untrimmed figure is reported too.
 */
public final class ServerMemoryBench {

    static final double SAFETY_MARGIN = 0.1;
    static final double LR = 1e-4;
    static final double MAX_GRAD_NORM = 1.0;
    static final long SEED = 0;
    static final long SAMPLE_NANOS = 5_000_000L;
    static final List<String> CHILD_JVM_OPTIONS = List.of(
            // the whole Java heap is committed and touched before the baseline, so heap growth is not counted
            "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch",
            // JavaCPP's own RSS guard would force GCs (and throw) once RSS passes 2x the heap; measure, don't guard
            "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");

    private ServerMemoryBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            child(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        parent(args);
    }

    static LoraConfig lora() {
        return new LoraConfig(8, 16, 0, List.of("q", "v"));
    }

    // ------------------------------------------------------------------------------------------------------ parent

    static void parent(String[] args) throws Exception {
        String preset = arg(args, 0, "gpt2-medium");
        String fleetSpec = arg(args, 1, "paper-5");
        int batch = Integer.parseInt(arg(args, 2, "4"));
        int seqLen = Integer.parseInt(arg(args, 3, "128"));
        int rounds = Integer.parseInt(arg(args, 4, "3"));
        Path out = Path.of(arg(args, 5, "bench-results/server_memory.json"));
        List<String> variants = List.of(arg(args, 6, "memsfl,sfl-v1,sfl-v1-free").split(","));
        boolean trim = Boolean.parseBoolean(arg(args, 7, "true"));
        String allocator = arg(args, 8, "default");
        Map<String, String> childEnv = allocatorEnv(allocator);
        long t0 = System.nanoTime();

        ModelConfig config = ModelPresets.get(preset);
        Fleet fleet = Fleets.resolve(fleetSpec);
        Plan plan = Planner.plan(config, lora(), batch, seqLen, fleet, SAFETY_MARGIN);
        System.err.println("cuts " + plan.cuts() + (plan.notFitting().isEmpty() ? ""
                : "; not fitting: " + plan.notFitting().stream().map(d -> d.deviceId()).toList()));

        Map<String, Object> children = new LinkedHashMap<>();
        for (String v : variants) {
            children.put(v, runChild(v, preset, fleetSpec, batch, seqLen, rounds, trim, childEnv));
        }

        Map<String, Object> res = new LinkedHashMap<>();
        res.put("benchmark", "server_memory");
        res.put("model", "random:" + preset);
        res.put("fleet", fleet.name());
        res.put("batch", batch);
        res.put("seq_len", seqLen);
        res.put("lora", Map.of("rank", lora().rank(), "alpha", lora().alpha(), "targets", lora().targets()));
        res.put("safety_margin", SAFETY_MARGIN);
        res.put("cuts", plan.cuts());
        res.put("rounds", rounds);
        res.put("malloc_trim_after_build", trim);
        res.put("child_jvm_options", CHILD_JVM_OPTIONS);
        res.put("sample_interval_ms", SAMPLE_NANOS / 1e6);
        res.put("allocator", allocator);
        res.put("child_allocator_env", ChildJvm.allocatorEnv(childEnv));
        res.put("comparison", compare(children));
        res.put("variants", children);
        res.put("notes", List.of(
                "measured peak = the step phase's peak process RSS (max of VmRSS sampled every 5 ms and VmHWM, reset "
                        + "after the build) above the RSS taken after engine warm-up, so it holds the built server side "
                        + "plus the steps' workspace; one fresh child JVM per variant, run one after another",
                "the build phase's own peak (construction temporaries) is reported separately, not in the headline",
                "modeled = MethodMemory.of(...).serverPeak(): what autograd keeps (weights, LoRA state, activations "
                        + "kept for backward, hand-off buffers, logits and their gradient); no allocator slack, no "
                        + "temporaries that die inside the forward or backward",
                "sfl-v1 holds every device's graph at once (barrier after forward+loss), which is the case the model "
                        + "charges; sfl-v1-free starts the devices together without a barrier",
                "server work runs on a fixed pool of one worker thread per device, started before the baseline and "
                        + "kept for the run; memsfl's sequential steps run on one of those workers, so both methods "
                        + "allocate from glibc's per-thread arenas alike",
                "rss_end_after_malloc_trim is what is left once glibc hands freed memory back: close to the tensor "
                        + "bytes, so most of the gap is freed memory the allocator keeps, not live tensors",
                "sequential variants time each ServerSegment.process call (payload construction excluded); "
                        + "server_busy_over_memsfl = median over rounds of the summed step seconds, over memsfl's; "
                        + "children run one after another on the same machine, so the ratio carries its load noise"));
        res.put("runtime_seconds", (System.nanoTime() - t0) / 1e9);
        res.put("manifest", RunManifest.create("bench server-memory", Map.of("preset", preset, "fleet", fleetSpec,
                "batch", batch, "seq_len", seqLen, "rounds", rounds, "variants", String.join(",", variants),
                "malloc_trim_after_build", trim, "allocator", allocator), SEED));
        Json.write(out, res);
        System.out.println(Json.pretty(res));
    }

    /**
     * Environment for the children's glibc malloc: {@code default} leaves it as inherited; {@code fixed-mmap} sets
     * {@code MALLOC_MMAP_THRESHOLD_=1048576}, which turns off glibc's dynamic mmap threshold, so every block of 1 MiB
     * or more (every activation tensor here) is mapped on allocation and unmapped on free instead of being kept in a
     * per-thread arena.
     */
    static Map<String, String> allocatorEnv(String allocator) {
        return switch (allocator) {
            case "default" -> Map.of();
            case "fixed-mmap" -> Map.of("MALLOC_MMAP_THRESHOLD_", "1048576");
            default -> throw new IllegalArgumentException("allocator must be default or fixed-mmap, got " + allocator);
        };
    }

    /** Measured and modeled peaks side by side, and the reductions of memsfl against each sfl-v1 variant. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> compare(Map<String, Object> children) {
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, Object> memsflChild = (Map<String, Object>) children.get("memsfl");
        Map<String, Object> per = new LinkedHashMap<>();
        children.forEach((v, o) -> {
            Map<String, Object> m = (Map<String, Object>) o;
            Map<String, Object> mod = (Map<String, Object>) m.get("modeled");
            Map<String, Object> row = new LinkedHashMap<>();
            long peak = num(m.get("peak_rss_above_baseline_bytes"));
            long modeled = num(mod.get("server_peak_bytes"));
            row.put("measured_peak_rss_above_baseline_bytes", peak);
            row.put("measured_steps_peak_sampled_bytes", num(m.get("steps_peak_rss_sampled_above_baseline_bytes")));
            row.put("measured_steps_hwm_bytes", num(m.get("steps_hwm_above_baseline_bytes")));
            row.put("measured_build_peak_bytes", num(m.get("build_peak_rss_above_baseline_bytes")));
            row.put("measured_after_build_bytes", num(m.get("rss_after_build_above_baseline_bytes")));
            row.put("measured_after_build_trim_bytes", num(m.get("rss_after_build_trim_above_baseline_bytes")));
            row.put("static_tensor_bytes", num(m.get("static_tensor_bytes")));
            row.put("modeled_server_peak_bytes", modeled);
            row.put("modeled_static_bytes", num(mod.get("static_bytes")));
            row.put("modeled_workspace_and_grads_bytes", modeled - num(mod.get("static_bytes")));
            row.put("measured_over_modeled", modeled > 0 ? (double) peak / modeled : null);
            row.put("gap_bytes", peak - modeled);
            Object busy = m.get("median_server_busy_seconds_per_round");
            row.put("median_server_busy_seconds_per_round", busy);
            row.put("median_step_seconds_by_device", m.get("median_step_seconds_by_device"));
            Object base = memsflChild == null ? null : memsflChild.get("median_server_busy_seconds_per_round");
            row.put("server_busy_over_memsfl", busy instanceof Number b && base instanceof Number a
                    && a.doubleValue() > 0 ? b.doubleValue() / a.doubleValue() : null);
            per.put(v, row);
        });
        c.put("per_variant", per);
        for (String ours : List.of("memsfl", "memsfl-mb1", "memsfl-rc", "memsfl-mb1-rc")) {
            if (!children.containsKey(ours)) {
                continue;
            }
            for (String base : List.of("sfl-v1", "sfl-v1-free")) {
                if (!children.containsKey(base)) {
                    continue;
                }
                Map<String, Object> a = (Map<String, Object>) per.get(ours);
                Map<String, Object> b = (Map<String, Object>) per.get(base);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("measured_reduction", reduction(a, b, "measured_peak_rss_above_baseline_bytes"));
                r.put("measured_reduction_steps_hwm", reduction(a, b, "measured_steps_hwm_bytes"));
                r.put("measured_reduction_after_build", reduction(a, b, "measured_after_build_bytes"));
                r.put("modeled_reduction", reduction(a, b, "modeled_server_peak_bytes"));
                r.put("modeled_reduction_static", reduction(a, b, "modeled_static_bytes"));
                c.put(ours + "_vs_" + base, r);
            }
        }
        return c;
    }

    static Double reduction(Map<String, Object> ours, Map<String, Object> theirs, String key) {
        double a = num(ours.get(key));
        double b = num(theirs.get(key));
        return b > 0 ? 1 - a / b : null;
    }

    static long num(Object o) {
        return o == null ? -1 : ((Number) o).longValue();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> runChild(String variant, String preset, String fleet, int batch, int seqLen, int rounds,
                                        boolean trim, Map<String, String> env) throws IOException, InterruptedException {
        Path result = Files.createTempFile("server-memory-" + variant + "-", ".json");
        List<String> cmd = ChildJvm.command(CHILD_JVM_OPTIONS, ServerMemoryBench.class);
        cmd.addAll(List.of("--child", variant, preset, fleet, String.valueOf(batch), String.valueOf(seqLen),
                String.valueOf(rounds), result.toString(), String.valueOf(trim)));
        System.err.println("== child " + variant + ": " + String.join(" ", cmd));
        return ChildJvm.run(cmd, env, variant, result);
    }

    // ------------------------------------------------------------------------------------------------------- child

    static void child(String[] a) throws Exception {
        String variant = a[0];
        String preset = a[1];
        Fleet fleet = Fleets.resolve(a[2]);
        int batch = Integer.parseInt(a[3]);
        int seqLen = Integer.parseInt(a[4]);
        int rounds = Integer.parseInt(a[5]);
        Path result = Path.of(a[6]);
        boolean trimAfterBuild = a.length > 7 ? Boolean.parseBoolean(a[7]) : true;
        TrainingMethod method = variant.startsWith("sfl-v1") ? TrainingMethod.SFL_V1
                : TrainingMethod.of(variant.startsWith("memsfl") ? "memsfl" : variant);
        if (!SEQUENTIAL_VARIANTS.contains(variant) && !variant.equals("sfl-v1") && !variant.equals("sfl-v1-free")) {
            throw new IllegalArgumentException("variant must be one of " + String.join(", ", SEQUENTIAL_VARIANTS)
                    + ", sfl-v1 or sfl-v1-free, got " + variant);
        }
        // memsfl-mb1: memsfl whose sequential server runs each device's batch one row at a time (same gradients);
        // -rc: its server recomputes each layer's activations during the backward (same gradients)
        int microBatch = variant.startsWith("memsfl-mb1") ? 1 : 0;
        boolean recompute = variant.endsWith("-rc");
        ModelConfig config = ModelPresets.get(preset);
        LoraConfig lora = lora();
        MemoryModel mm = MemoryModel.of(config, lora, batch, seqLen);
        Plan plan = Planner.plan(mm, fleet, SAFETY_MARGIN);
        Map<String, Integer> cuts = plan.cuts();
        MethodMemory modeled = method == TrainingMethod.MEMSFL
                ? MethodMemory.memsfl(mm, fleet, cuts, microBatch, recompute)
                : MethodMemory.of(method, mm, fleet, cuts, SAFETY_MARGIN);

        Engine.init();
        ExecutorService pool = workerPool(Math.max(1, cuts.size()));
        warmUp(pool, Math.max(1, cuts.size()));
        settle();
        long baseRss = ProcessMemory.rssBytes();
        long hwmBeforeBaseline = ProcessMemory.peakRssBytes();
        boolean hwmReset = ProcessMemory.resetPeak();
        long heapAtBaseline = Runtime.getRuntime().totalMemory();
        System.err.printf("baseline RSS %.1f MiB (HWM so far %.1f MiB, reset %s)%n", mib(baseRss), mib(hwmBeforeBaseline),
                hwmReset);

        Map<String, Object> res = new LinkedHashMap<>();
        List<Double> losses = new ArrayList<>();
        List<Double> roundSeconds = new ArrayList<>();
        Map<String, List<Double>> stepSeconds = new LinkedHashMap<>();
        try (RssSampler sampler = RssSampler.start(SAMPLE_NANOS)) {
            // build phase: the server side as the method holds it
            long tb = System.nanoTime();
            // memsfl's server runs its head in chunks of target tokens (ServerSegment(rows, recompute, true))
            ServerSegment server = new ServerSegment(microBatch, recompute, method == TrainingMethod.MEMSFL);
            List<AutoCloseable> owned = new ArrayList<>();
            long staticTensorBytes = build(method, config, lora, fleet, cuts, server, owned);
            double buildSeconds = (System.nanoTime() - tb) / 1e9;
            settle();
            long afterBuild = ProcessMemory.rssBytes();
            long buildPeak = Math.max(sampler.takePhaseMax(), ProcessMemory.peakRssBytes());
            Boolean trimmed = trimAfterBuild ? mallocTrim() : null;
            long afterTrim = ProcessMemory.rssBytes();
            boolean stepHwmReset = ProcessMemory.resetPeak();
            sampler.takePhaseMax();
            System.err.printf("built in %.1f s: RSS +%.1f MiB (tensors %.1f MiB), after malloc_trim +%.1f MiB%n",
                    buildSeconds, mib(afterBuild - baseRss), mib(staticTensorBytes), mib(afterTrim - baseRss));

            // step phase: server steps as the method runs them
            List<Long> roundPeaks = new ArrayList<>();
            long stepsSampled = -1;
            for (int r = 0; r < rounds; r++) {
                long tr = System.nanoTime();
                switch (variant) {
                    case "memsfl", "memsfl-mb1", "memsfl-rc", "memsfl-mb1-rc" -> {
                        // on one pool worker, not the main thread, so both methods allocate from worker arenas
                        final int round = r;
                        pool.submit(() -> {
                            sequentialRound(server, cuts, config, batch, seqLen, round, losses, stepSeconds);
                            return null;
                        }).get();
                    }
                    case "sfl-v1" -> parallelRound(pool, server, cuts, config, batch, seqLen, r, true, losses);
                    case "sfl-v1-free" -> parallelRound(pool, server, cuts, config, batch, seqLen, r, false, losses);
                    default -> throw new IllegalArgumentException("unknown variant " + variant);
                }
                roundSeconds.add((System.nanoTime() - tr) / 1e9);
                long peak = sampler.takePhaseMax();
                stepsSampled = Math.max(stepsSampled, peak);
                roundPeaks.add(peak - baseRss);
                System.err.printf("round %d: %.1f s, peak RSS +%.1f MiB%n", r + 1, roundSeconds.get(r),
                        mib(peak - baseRss));
            }
            long stepsHwm = ProcessMemory.peakRssBytes(); // since the reset after the build: the exact step-phase peak
            long endRss = ProcessMemory.rssBytes();
            sampler.stop();
            Boolean endTrimmed = mallocTrim();
            long endAfterTrim = ProcessMemory.rssBytes();
            long peak = stepHwmReset ? Math.max(stepsSampled, stepsHwm) : stepsSampled;

            res.put("variant", variant);
            res.put("method", method.id());
            res.put("devices", cuts.size());
            res.put("cuts", cuts);
            res.put("server_execution", variant.startsWith("memsfl") ? "sequential, one device at a time"
                    + (microBatch > 0 ? ", server segment one row at a time" : "")
                    + (recompute ? ", each layer's activations recomputed in the backward" : "")
                    : variant.equals("sfl-v1") ? "parallel threads, barrier after forward+loss"
                    : "parallel threads started together, no barrier");
            res.put("baseline_rss_bytes", baseRss);
            res.put("hwm_before_baseline_bytes", hwmBeforeBaseline);
            res.put("hwm_reset_supported", hwmReset && stepHwmReset);
            res.put("static_tensor_bytes", staticTensorBytes);
            res.put("build_peak_rss_above_baseline_bytes", buildPeak - baseRss);
            res.put("rss_after_build_above_baseline_bytes", afterBuild - baseRss);
            res.put("malloc_trim_after_build", trimmed);
            res.put("rss_after_build_trim_above_baseline_bytes", afterTrim - baseRss);
            // the headline: the step phase's peak, max of the 5 ms samples and VmHWM (reset after the build)
            res.put("peak_rss_above_baseline_bytes", peak - baseRss);
            res.put("steps_peak_rss_sampled_above_baseline_bytes", stepsSampled - baseRss);
            res.put("steps_hwm_above_baseline_bytes", stepHwmReset ? stepsHwm - baseRss : null);
            res.put("round_peak_rss_above_baseline_bytes", roundPeaks);
            res.put("rss_end_above_baseline_bytes", endRss - baseRss);
            res.put("rss_end_after_malloc_trim_above_baseline_bytes", endTrimmed == null ? null : endAfterTrim - baseRss);
            res.put("rss_samples", sampler.samples());
            res.put("java_heap_committed_baseline_bytes", heapAtBaseline);
            res.put("java_heap_committed_end_bytes", Runtime.getRuntime().totalMemory());
            res.put("build_seconds", buildSeconds);
            res.put("round_seconds", roundSeconds);
            if (!stepSeconds.isEmpty()) {
                // one server step per device per round; the server's busy time in a round is their sum
                res.put("step_seconds_by_device", stepSeconds);
                Map<String, Double> medians = new LinkedHashMap<>();
                stepSeconds.forEach((id, l) -> medians.put(id, median(l)));
                res.put("median_step_seconds_by_device", medians);
                List<Double> busy = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    double sum = 0;
                    for (List<Double> l : stepSeconds.values()) {
                        sum += l.get(r);
                    }
                    busy.add(sum);
                }
                res.put("server_busy_seconds_per_round", busy);
                res.put("median_server_busy_seconds_per_round", median(busy));
            }
            res.put("losses", losses);
            Map<String, Object> mod = new LinkedHashMap<>();
            mod.put("server_peak_bytes", modeled.serverPeak());
            mod.put("server", modeled.server().toMap());
            mod.put("static_bytes", modeled.server().frozenWeights() + modeled.server().loraParams()
                    + modeled.server().optimizerState());
            res.put("modeled", mod);
            for (AutoCloseable c : owned) {
                c.close();
            }
        }
        pool.shutdownNow();
        Json.write(result, res);
    }

    /**
     * Builds the server side as {@code method} holds it and registers one state per device; returns the bytes of the
     * tensors it holds (frozen weights once per model object, adapters and AdamW moments), counted from shapes.
     */
    static long build(TrainingMethod method, ModelConfig config, LoraConfig lora, Fleet fleet, Map<String, Integer> cuts,
                      ServerSegment server, List<AutoCloseable> owned) {
        int n = config.nLayers();
        long bytes = 0;
        DecoderModel shared = null;
        if (method == TrainingMethod.MEMSFL) {
            shared = RandomInit.create(config, LayerRange.all(n), DType.F32, SEED);
            owned.add(shared);
            bytes += weightBytes(shared);
            settle(); // the constructor's finiteness checks leave garbage tensors only the GC frees
        }
        int i = 0;
        for (DeviceProfile d : fleet.devices()) {
            Integer cut = cuts.get(d.id());
            if (cut == null) {
                continue;
            }
            DecoderModel model = shared;
            if (model == null) {
                model = RandomInit.create(config, LayerRange.serverSegment(cut, n), DType.F32, SEED);
                owned.add(model);
                bytes += weightBytes(model);
                settle();
            }
            AdapterSet adapters = AdapterSet.init(config, lora, LayerRange.serverSegment(cut, n), SEED + 1 + i);
            AdamW opt = new AdamW(adapters.namedParameters(), AdamW.Settings.defaults());
            owned.add(opt);
            owned.add(adapters);
            bytes += 3 * adapters.numParameters() * 4L; // parameters and two moments; gradients appear at backward
            server.register(d.id(), new ServerState(cut, model, adapters, opt));
            i++;
        }
        return bytes;
    }

    static long weightBytes(DecoderModel m) {
        return m.bytesByDtype().values().stream().mapToLong(Long::longValue).sum();
    }

    /** The variants whose server serves one device at a time. */
    static final List<String> SEQUENTIAL_VARIANTS = List.of("memsfl", "memsfl-mb1", "memsfl-rc", "memsfl-mb1-rc");

    /** Median of a non-empty list (mean of the middle two for an even count). */
    static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static void sequentialRound(ServerSegment server, Map<String, Integer> cuts, ModelConfig config, int batch,
                                int seqLen, int round, List<Double> losses) {
        sequentialRound(server, cuts, config, batch, seqLen, round, losses, new LinkedHashMap<>());
    }

    /**
     * memsfl: the server serves one device at a time, through ServerSegment.process; the seconds of each device's
     * step (process alone, not building the payload) are appended to {@code stepSeconds} under its id.
     */
    static void sequentialRound(ServerSegment server, Map<String, Integer> cuts, ModelConfig config, int batch,
                                int seqLen, int round, List<Double> losses, Map<String, List<Double>> stepSeconds) {
        int i = 0;
        for (Map.Entry<String, Integer> d : cuts.entrySet()) {
            try (NativeScope s = new NativeScope()) {
                ActivationPayload p = payload(d.getKey(), d.getValue(), config, batch, seqLen, round * 1000L + i);
                long t0 = System.nanoTime();
                GradientPayload g = server.process(p, LR, MAX_GRAD_NORM);
                stepSeconds.computeIfAbsent(d.getKey(), k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e9);
                losses.add(g.loss());
                g.grad().close();
            }
            i++;
        }
    }

    /**
     * sfl-v1: every device's server step in flight at once, one worker of {@code pool} each (a fixed pool with one
     * thread per device, kept for the whole run as a server would keep it). With {@code barrier}, all forwards and
     * losses finish before any backward starts (every graph alive together); without it the workers run
     * {@link ServerSegment#process} from a common start.
     */
    static void parallelRound(ExecutorService pool, ServerSegment server, Map<String, Integer> cuts, ModelConfig config,
                              int batch, int seqLen, int round, boolean barrier, List<Double> losses)
            throws InterruptedException, ExecutionException {
        List<String> ids = new ArrayList<>(cuts.keySet());
        int u = ids.size();
        CountDownLatch ready = new CountDownLatch(u);
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch forwardDone = new CountDownLatch(u);
        double[] loss = new double[u];
        List<Future<?>> tasks = new ArrayList<>();
        try (NativeScope s = new NativeScope()) {
            // every device's activations have arrived before the server starts: all payloads coexist
            List<ActivationPayload> payloads = new ArrayList<>();
            for (int i = 0; i < u; i++) {
                payloads.add(payload(ids.get(i), cuts.get(ids.get(i)), config, batch, seqLen, round * 1000L + i));
            }
            for (int i = 0; i < u; i++) {
                final int k = i;
                tasks.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    ActivationPayload p = payloads.get(k);
                    if (barrier) {
                        loss[k] = stepWithBarrier(server.state(p.deviceId()), p, forwardDone);
                    } else {
                        GradientPayload g = server.process(p, LR, MAX_GRAD_NORM);
                        loss[k] = g.loss();
                        g.grad().close();
                    }
                    return null;
                }));
            }
            if (!ready.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the pool did not start one worker per device");
            }
            start.countDown();
            for (Future<?> f : tasks) {
                f.get();
            }
        }
        for (double l : loss) {
            losses.add(l);
        }
    }

    /** A fixed pool of {@code n} daemon workers, all started now. */
    static ExecutorService workerPool(int n) {
        AtomicLong count = new AtomicLong();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "server-worker-" + count.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        pool.prestartAllCoreThreads();
        return pool;
    }

    /** {@link ServerSegment#gradient} and {@link ServerSegment#process}'s update, with a barrier before backward. */
    static double stepWithBarrier(ServerState s, ActivationPayload p, CountDownLatch forwardDone)
            throws InterruptedException {
        try (NativeScope scope = new NativeScope()) {
            Tensor sent;
            Tensor loss;
            try {
                sent = p.hidden().detach().clone();
                sent.set_requires_grad(true);
                ForwardContext ctx = ForwardContext.training(s.adapters());
                Tensor h = s.model().forwardLayers(sent, s.cut(), s.model().config().nLayers(), ctx);
                loss = Loss.crossEntropy(s.model().head(h, ctx), p.targets());
            } finally {
                forwardDone.countDown(); // also when the forward failed: the others must not wait for it
            }
            forwardDone.await();
            s.optimizer().zeroGrad();
            loss.backward();
            Tensor gradAtCut = sent.grad(); // what would be sent back to the device
            if (!gradAtCut.defined()) {
                throw new IllegalStateException("no gradient at the cut");
            }
            GradClip.clip(s.adapters().parameters(), MAX_GRAD_NORM);
            s.optimizer().step(LR);
            return loss.item().toDouble();
        }
    }

    /** Random cut-layer activations (B, T, dim) and random next-token targets, as a device would send them. */
    static ActivationPayload payload(String id, int cut, ModelConfig c, int batch, int seqLen, long seed) {
        torch.manual_seed(seed);
        Tensor hidden = torch.randn(batch, seqLen, c.dim());
        SplittableRandom rng = new SplittableRandom(seed);
        long[] tg = new long[batch * seqLen];
        for (int i = 0; i < tg.length; i++) {
            tg[i] = rng.nextInt(c.vocabSize());
        }
        int[] lens = new int[batch];
        Arrays.fill(lens, seqLen);
        return new ActivationPayload(id, cut, hidden, org.memsfl.engine.Tensors.fromLongs(tg, batch, seqLen), lens);
    }

    /**
     * Runs the code paths of the measured phase on a tiny model, sequentially and in {@code threads} parallel
     * threads, plus a GEMM per thread, so that one-time costs (natives, kernels, JIT, BLAS buffers, thread pools)
     * fall into the baseline rather than into the measured delta.
     */
    static void warmUp(ExecutorService pool, int threads) throws InterruptedException, ExecutionException {
        ModelConfig tiny = ModelPresets.get("tiny-gpt2");
        LoraConfig lora = lora();
        try (DecoderModel m = RandomInit.create(tiny, LayerRange.all(tiny.nLayers()), DType.F32, 1)) {
            ServerSegment server = new ServerSegment();
            ServerSegment recomputing = new ServerSegment(1, true); // the -rc variants' path, on the same states
            List<AutoCloseable> owned = new ArrayList<>();
            Map<String, Integer> cuts = new LinkedHashMap<>();
            for (int i = 0; i < Math.max(1, threads); i++) {
                String id = "warm-" + i;
                cuts.put(id, 1);
                AdapterSet a = AdapterSet.init(tiny, lora, LayerRange.serverSegment(1, tiny.nLayers()), i);
                AdamW opt = new AdamW(a.namedParameters(), AdamW.Settings.defaults());
                owned.add(opt);
                owned.add(a);
                ServerState state = new ServerState(1, m, a, opt);
                server.register(id, state);
                recomputing.register(id, state);
            }
            for (int r = 0; r < 3; r++) {
                final int round = r;
                pool.submit(() -> {
                    sequentialRound(server, cuts, tiny, 2, 16, round, new ArrayList<>());
                    return null;
                }).get();
                sequentialRound(server, cuts, tiny, 2, 16, r, new ArrayList<>());
                sequentialRound(recomputing, cuts, tiny, 2, 16, r, new ArrayList<>());
                parallelRound(pool, server, cuts, tiny, 2, 16, r, true, new ArrayList<>());
                parallelRound(pool, server, cuts, tiny, 2, 16, r, false, new ArrayList<>());
            }
            for (AutoCloseable c : owned) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        List<Future<?>> gemms = new ArrayList<>();
        CountDownLatch together = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            gemms.add(pool.submit(() -> {
                together.countDown();
                together.await();
                try (NoGradGuard ng = new NoGradGuard(); NativeScope s = new NativeScope()) {
                    Tensor x = torch.randn(512, 512);
                    for (int k = 0; k < 3; k++) {
                        x.matmul(x);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : gemms) {
            f.get();
        }
        try (NoGradGuard ng = new NoGradGuard(); NativeScope s = new NativeScope()) {
            Tensor x = torch.randn(512, 512);
            x.matmul(x);
        }
        ProcessMemory.rssBytes();
        Json.compact(Map.of("warm", 1));
    }

    /** Lets the GC run, so that native memory held only by unreachable tensors is freed before a reading. */
    static void settle() {
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * glibc's {@code malloc_trim(0)}, through JNA (on the classpath via the tokenizer library), found reflectively so
     * the bench needs no declared dependency: returns freed-but-retained heap pages to the OS. True when memory was
     * released, false when none could be, null where it cannot be called (no JNA, not glibc).
     */
    static Boolean mallocTrim() {
        try {
            Class<?> lib = Class.forName("com.sun.jna.NativeLibrary");
            Object c = lib.getMethod("getInstance", String.class).invoke(null, "c");
            Object f = lib.getMethod("getFunction", String.class).invoke(c, "malloc_trim");
            Object r = f.getClass().getMethod("invokeInt", Object[].class).invoke(f, (Object) new Object[] {0});
            return ((Integer) r) != 0;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return null;
        }
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    static String arg(String[] a, int i, String dflt) {
        return a.length > i ? a[i] : dflt;
    }

    /** A daemon thread that reads VmRSS every interval and keeps the overall and the current phase's maximum. */
    static final class RssSampler implements AutoCloseable {

        private final AtomicLong max = new AtomicLong(-1);
        private final AtomicLong phaseMax = new AtomicLong(-1);
        private final AtomicLong samples = new AtomicLong();
        private final long intervalNanos;
        private volatile boolean running = true;
        private Thread thread;

        private RssSampler(long intervalNanos) {
            this.intervalNanos = intervalNanos;
        }

        static RssSampler start(long intervalNanos) {
            RssSampler s = new RssSampler(intervalNanos);
            s.thread = new Thread(s::loop, "rss-sampler");
            s.thread.setDaemon(true);
            s.thread.start();
            return s;
        }

        private void loop() {
            while (running) {
                record(ProcessMemory.rssBytes());
                LockSupport.parkNanos(intervalNanos);
            }
        }

        private void record(long rss) {
            if (rss < 0) {
                return;
            }
            max.accumulateAndGet(rss, Math::max);
            phaseMax.accumulateAndGet(rss, Math::max);
            samples.incrementAndGet();
        }

        /** The largest reading since the last call (or the start), including one taken now; starts a new phase. */
        long takePhaseMax() {
            record(ProcessMemory.rssBytes());
            return phaseMax.getAndSet(-1);
        }

        long max() {
            return max.get();
        }

        long samples() {
            return samples.get();
        }

        void stop() {
            running = false;
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            stop();
        }
    }
}
