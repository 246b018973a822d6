package org.memsfl.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;
import org.memsfl.split.ServerSegment;
import org.memsfl.split.ServerState;
import org.memsfl.train.AdamW;
import org.memsfl.util.Json;
import org.memsfl.util.ProcessMemory;

/**
 * One child JVM of {@link ServerMemoryBench}: warms the engine up, takes its RSS baseline, builds the server side as one
 * variant holds it and runs its server steps while {@link RssSampler} reads VmRSS; writes its figures as JSON.
 */
final class ServerMemoryChild {

    private ServerMemoryChild() {
    }

    static void child(String[] a) throws Exception {
        ServerVariant variant = ServerVariant.of(a[0]);
        String preset = a[1];
        Fleet fleet = Fleets.resolve(a[2]);
        int batch = Integer.parseInt(a[3]);
        int seqLen = Integer.parseInt(a[4]);
        int rounds = Integer.parseInt(a[5]);
        Path result = Path.of(a[6]);
        boolean trimAfterBuild = a.length > 7 ? Boolean.parseBoolean(a[7]) : true;
        int microBatch = variant.microBatch;
        boolean recompute = variant.recompute;
        ModelConfig config = ModelPresets.get(preset);
        LoraConfig lora = ServerMemoryBench.lora();
        MemoryModel mm = MemoryModel.of(config, lora, batch, seqLen);
        Plan plan = Planner.plan(mm, fleet, ServerMemoryBench.SAFETY_MARGIN);
        Map<String, Integer> cuts = plan.cuts();
        MethodMemory modeled = variant.modeled(mm, fleet, cuts);

        Engine.init();
        ExecutorService pool = ServerRounds.workerPool(Math.max(1, cuts.size()));
        ServerRounds.warmUp(pool, Math.max(1, cuts.size()));
        MemoryProbe.settle();
        long baseRss = ProcessMemory.rssBytes();
        long hwmBeforeBaseline = ProcessMemory.peakRssBytes();
        boolean hwmReset = ProcessMemory.resetPeak();
        long heapAtBaseline = Runtime.getRuntime().totalMemory();
        System.err.printf("baseline RSS %.1f MiB (HWM so far %.1f MiB, reset %s)%n", MemoryProbe.mib(baseRss), MemoryProbe.mib(hwmBeforeBaseline),
                hwmReset);

        Map<String, Object> res = new LinkedHashMap<>();
        List<Double> losses = new ArrayList<>();
        List<Double> roundSeconds = new ArrayList<>();
        Map<String, List<Double>> stepSeconds = new LinkedHashMap<>();
        try (RssSampler sampler = RssSampler.start(ServerMemoryBench.SAMPLE_NANOS)) {
            // build phase: the server side as the method holds it
            long tb = System.nanoTime();
            // memsfl's server runs its head in chunks of target tokens (ServerSegment(rows, recompute, true))
            ServerSegment server = new ServerSegment(microBatch, recompute, variant.sequential);
            List<AutoCloseable> owned = new ArrayList<>();
            long staticTensorBytes = build(variant.sequential, config, lora, fleet, cuts, server, owned);
            double buildSeconds = (System.nanoTime() - tb) / 1e9;
            MemoryProbe.settle();
            long afterBuild = ProcessMemory.rssBytes();
            long buildPeak = Math.max(sampler.takePhaseMax(), ProcessMemory.peakRssBytes());
            Boolean trimmed = trimAfterBuild ? MemoryProbe.mallocTrim() : null;
            long afterTrim = ProcessMemory.rssBytes();
            boolean stepHwmReset = ProcessMemory.resetPeak();
            sampler.takePhaseMax();
            System.err.printf("built in %.1f s: RSS +%.1f MiB (tensors %.1f MiB), after malloc_trim +%.1f MiB%n",
                    buildSeconds, MemoryProbe.mib(afterBuild - baseRss), MemoryProbe.mib(staticTensorBytes), MemoryProbe.mib(afterTrim - baseRss));

            // step phase: server steps as the method runs them
            List<Long> roundPeaks = new ArrayList<>();
            long stepsSampled = -1;
            for (int r = 0; r < rounds; r++) {
                long tr = System.nanoTime();
                if (variant.sequential) {
                    // on one pool worker, not the main thread, so both methods allocate from worker arenas
                    final int round = r;
                    pool.submit(() -> {
                        ServerRounds.sequentialRound(server, cuts, config, batch, seqLen, round, losses, stepSeconds);
                        return null;
                    }).get();
                } else {
                    ServerRounds.parallelRound(pool, server, cuts, config, batch, seqLen, r, variant.barrier, losses);
                }
                roundSeconds.add((System.nanoTime() - tr) / 1e9);
                long peak = sampler.takePhaseMax();
                stepsSampled = Math.max(stepsSampled, peak);
                roundPeaks.add(peak - baseRss);
                System.err.printf("round %d: %.1f s, peak RSS +%.1f MiB%n", r + 1, roundSeconds.get(r),
                        MemoryProbe.mib(peak - baseRss));
            }
            long stepsHwm = ProcessMemory.peakRssBytes(); // since the reset after the build: the exact step-phase peak
            long endRss = ProcessMemory.rssBytes();
            sampler.stop();
            Boolean endTrimmed = MemoryProbe.mallocTrim();
            long endAfterTrim = ProcessMemory.rssBytes();
            long peak = stepHwmReset ? Math.max(stepsSampled, stepsHwm) : stepsSampled;

            res.put("variant", variant.id);
            res.put("method", variant.method());
            res.put("devices", cuts.size());
            res.put("cuts", cuts);
            res.put("server_execution", variant.execution());
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
     * Builds the server side as memsfl ({@code oneSharedModel}) or sfl-v1 holds it and registers one state per device; returns the bytes of the
     * tensors it holds (frozen weights once per model object, adapters and AdamW moments), counted from shapes.
     */
    static long build(boolean oneSharedModel, ModelConfig config, LoraConfig lora, Fleet fleet, Map<String, Integer> cuts,
                      ServerSegment server, List<AutoCloseable> owned) {
        int n = config.nLayers();
        long bytes = 0;
        DecoderModel shared = null;
        if (oneSharedModel) {
            shared = RandomInit.create(config, LayerRange.all(n), DType.F32, ServerMemoryBench.SEED);
            owned.add(shared);
            bytes += weightBytes(shared);
            MemoryProbe.settle(); // the constructor's finiteness checks leave garbage tensors only the GC frees
        }
        int i = 0;
        for (DeviceProfile d : fleet.devices()) {
            Integer cut = cuts.get(d.id());
            if (cut == null) {
                continue;
            }
            DecoderModel model = shared;
            if (model == null) {
                model = RandomInit.create(config, LayerRange.serverSegment(cut, n), DType.F32, ServerMemoryBench.SEED);
                owned.add(model);
                bytes += weightBytes(model);
                MemoryProbe.settle();
            }
            AdapterSet adapters = AdapterSet.init(config, lora, LayerRange.serverSegment(cut, n), ServerMemoryBench.SEED + 1 + i);
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

    /** Median of a non-empty list (mean of the middle two for an even count). */
    static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
