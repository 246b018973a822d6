package org.memsfl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.cost.MethodMemory;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;
import org.memsfl.split.ServerSegment;
import org.memsfl.train.AdamW;
import org.memsfl.util.Json;
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

    /** The variant names a run accepts, in order (for callers that check them before starting children). */
    public static List<String> variantIds() {
        return java.util.Arrays.stream(ServerVariant.values()).map(v -> v.id).toList();
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            ServerMemoryChild.child(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        parent(args);
    }

    static LoraConfig lora() {
        return new LoraConfig(8, 16, 0, List.of("q", "v"));
    }

    // ------------------------------------------------------------------------------------------------------ parent

    static void parent(String[] args) throws Exception {
        String preset = ChildJvm.arg(args, 0, "gpt2-medium");
        String fleetSpec = ChildJvm.arg(args, 1, "paper-5");
        int batch = Integer.parseInt(ChildJvm.arg(args, 2, "4"));
        int seqLen = Integer.parseInt(ChildJvm.arg(args, 3, "128"));
        int rounds = Integer.parseInt(ChildJvm.arg(args, 4, "3"));
        Path out = Path.of(ChildJvm.arg(args, 5, "bench-results/server_memory.json"));
        List<String> variants = List.of(ChildJvm.arg(args, 6, "memsfl,sfl-v1,sfl-v1-free").split(","));
        boolean trim = Boolean.parseBoolean(ChildJvm.arg(args, 7, "true"));
        String allocator = ChildJvm.arg(args, 8, "default");
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
        res.put("comparison", ServerMemoryComparison.compare(children));
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

}
