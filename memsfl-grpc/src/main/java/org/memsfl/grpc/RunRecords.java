package org.memsfl.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.LoadedModel;
import org.memsfl.round.RoundEnd;
import org.memsfl.util.AtomicFiles;
import org.memsfl.util.Json;
import org.memsfl.util.ProcessMemory;
import org.memsfl.util.RunManifest;

/**
 * The edge server's run records in its output directory: {@code manifest.json}, one {@code metrics.jsonl} line per
 * round, {@code summary.json} and the final {@code adapter/} at the end, and the running totals behind them (bytes on
 * the wire, measured round times, the last eval loss), which a checkpoint carries across a restart.
 */
final class RunRecords {

    /** A device as the summary reports it. */
    record DeviceLine(String id, int cut, long peakRss, long rssBefore, List<Integer> missedRounds) {
    }

    private final ServerDeployment s;
    private final Path metrics;
    private final long startNanos = System.nanoTime();
    private final long rssBeforeModel;
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private final List<Double> roundSeconds = new ArrayList<>();
    private double wallBeforeResume;
    private long roundStartNanos;
    private long upMark;
    private long downMark;
    private long roundActivationBytes;   // hidden-state bytes received this round, in the wire dtype
    private long roundGradientBytes;     // gradient bytes sent this round, in the wire dtype
    private long activationBytes;
    private long gradientBytes;
    private double lastEvalLoss = Double.NaN;
    private Map<String, Object> stopped; // summary.json's "stopped" after an early stop, else null

    /** Prepares the output directory (a fresh run starts a fresh metrics.jsonl) and writes the manifest. */
    RunRecords(ServerDeployment s, String modelId, long rssBeforeModel) {
        this.s = s;
        this.rssBeforeModel = rssBeforeModel;
        this.metrics = s.out().resolve("metrics.jsonl");
        try {
            Files.createDirectories(s.out());
            if (!s.resume()) {
                Files.deleteIfExists(metrics);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare output directory " + s.out() + ": " + e.getMessage(), e);
        }
        Map<String, Object> manifest = new LinkedHashMap<>(s.toMap());
        manifest.put("model_id", modelId);
        manifest.put("transport", "grpc");
        manifest.put("resumed", s.resume());
        RunManifest.write(s.out(), "server", manifest, s.run().seed());
    }

    void countUp(long bytes) {
        bytesUp.addAndGet(bytes);
    }

    void countDown(long bytes) {
        bytesDown.addAndGet(bytes);
    }

    /** A served step's payload sizes in the wire dtype. */
    void step(long activation, long gradient) {
        roundActivationBytes += activation;
        roundGradientBytes += gradient;
    }

    void roundOpened() {
        roundStartNanos = System.nanoTime();
        upMark = bytesUp.get();
        downMark = bytesDown.get();
        activationBytes += roundActivationBytes;
        gradientBytes += roundGradientBytes;
        roundActivationBytes = 0;
        roundGradientBytes = 0;
    }

    /** Seconds since the round opened (a step's arrival time for the dispatcher). */
    double sinceRoundOpened() {
        return (System.nanoTime() - roundStartNanos) / 1e9;
    }

    double wallSeconds() {
        return wallBeforeResume + (System.nanoTime() - startNanos) / 1e9;
    }

    /** The round's metrics line (not yet written: the checkpoint goes first). */
    Map<String, Object> roundLine(RoundEnd end, double evalLoss) {
        lastEvalLoss = evalLoss;
        double seconds = sinceRoundOpened();
        roundSeconds.add(seconds);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", "memsfl");
        m.put("round", end.round());
        m.put("train_loss", Double.isNaN(end.trainLoss()) ? null : end.trainLoss());
        m.put("eval_loss", Double.isNaN(lastEvalLoss) ? null : lastEvalLoss);
        m.put("round_wall_s", seconds);
        m.put("wall_s", wallSeconds());
        m.put("bytes_up", bytesUp.get() - upMark);
        m.put("bytes_down", bytesDown.get() - downMark);
        m.put("activation_bytes", roundActivationBytes);
        m.put("gradient_bytes", roundGradientBytes);
        m.put("wire_dtype", s.run().wire().dtype().name());
        m.put("server_rss_bytes", ProcessMemory.rssBytes());
        m.put("server_peak_rss_bytes", ProcessMemory.peakRssBytes());
        m.put("scheduler", s.run().scheduler());
        m.put("serve_order", end.serveOrder());
        m.put("participants", end.participants());
        m.put("dropped", end.leftOut());
        return m;
    }

    /** The round's line on the server's log. */
    String roundSummary(RoundEnd end) {
        return String.format(java.util.Locale.ROOT, "round %d/%d: train loss %s, eval loss %s, %.1f s, %d B up, %d B"
                + " down%s", end.round(), s.run().rounds(), fmt(end.trainLoss()), fmt(lastEvalLoss), roundSecondsLast(),
                roundBytesUp(), roundBytesDown(), end.leftOut().isEmpty() ? "" : ", left out " + end.leftOut());
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(java.util.Locale.ROOT, "%.4f", v);
    }

    void append(Map<String, Object> line) {
        Json.appendLine(metrics, line);
    }

    /** Running totals for a checkpoint. */
    Map<String, Object> totals() {
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("bytes_up", bytesUp.get());
        totals.put("bytes_down", bytesDown.get());
        totals.put("activation_bytes", activationBytes + roundActivationBytes);
        totals.put("gradient_bytes", gradientBytes + roundGradientBytes);
        totals.put("round_seconds", roundSeconds);
        totals.put("last_eval_loss", Double.isNaN(lastEvalLoss) ? null : lastEvalLoss);
        totals.put("wall_s", wallSeconds());
        return totals;
    }

    /** Continues from a checkpoint's totals, with metrics.jsonl as of its round. */
    void resume(Map<String, Object> t, int completed, Map<String, Object> line, java.util.function.Consumer<String> log) {
        bytesUp.set(((Number) t.get("bytes_up")).longValue());
        bytesDown.set(((Number) t.get("bytes_down")).longValue());
        activationBytes = ((Number) t.get("activation_bytes")).longValue();
        gradientBytes = ((Number) t.get("gradient_bytes")).longValue();
        for (Object o : (List<?>) t.get("round_seconds")) {
            roundSeconds.add(((Number) o).doubleValue());
        }
        lastEvalLoss = t.get("last_eval_loss") == null ? Double.NaN : ((Number) t.get("last_eval_loss")).doubleValue();
        wallBeforeResume = ((Number) t.get("wall_s")).doubleValue();
        // earlier rounds kept, a cut-short last line repaired, the checkpoint's own line restored
        MetricsLines.restore(metrics, completed, line, log);
    }

    double lastEvalLoss() {
        return lastEvalLoss;
    }

    double roundSecondsLast() {
        return roundSeconds.isEmpty() ? 0 : roundSeconds.get(roundSeconds.size() - 1);
    }

    long bytesUp() {
        return bytesUp.get();
    }

    long bytesDown() {
        return bytesDown.get();
    }

    long roundBytesUp() {
        return bytesUp.get() - upMark;
    }

    long roundBytesDown() {
        return bytesDown.get() - downMark;
    }

    /**
     * Training stops early in round {@code round} (not aggregated) for {@code reason}: summary.json then says so under
     * {@code "stopped"}, with the last round whose adapters were kept.
     */
    void stopped(String reason, int round) {
        stopped = new LinkedHashMap<>();
        stopped.put("reason", reason);
        stopped.put("round", round);
        stopped.put("kept_round", round - 1);
    }

    /** The final adapters and summary.json (in the shape of compare's summary); {@code task}: null or the final task evaluation. */
    Map<String, Object> finish(AdapterSet global, LoadedModel loaded, List<DeviceLine> devices, Map<String, Object> task) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(AdapterIO.META_MODEL, loaded.id());
        meta.put(AdapterIO.META_MODEL_FAMILY, loaded.config().family().name().toLowerCase(java.util.Locale.ROOT));
        meta.put("method", "memsfl");
        meta.put("transport", "grpc");
        AdapterIO.save(global, s.out().resolve("adapter"), meta);
        double wall = wallSeconds();
        Map<String, Object> memsfl = new LinkedHashMap<>();
        long serverPeak = ProcessMemory.peakRssBytes();
        memsfl.put("server_peak_bytes", serverPeak);
        Map<String, Long> devicePeaks = new TreeMap<>();
        Map<String, Object> deviceMemory = new TreeMap<>();
        List<String> droppedAny = new ArrayList<>();
        for (DeviceLine d : devices) {
            devicePeaks.put(d.id(), d.peakRss());
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("cut", d.cut());
            dm.put("peak_rss_bytes", d.peakRss());
            dm.put("rss_before_model_bytes", d.rssBefore());
            dm.put("missed_rounds", d.missedRounds());
            deviceMemory.put(d.id(), dm);
            if (!d.missedRounds().isEmpty()) {
                droppedAny.add(d.id());
            }
        }
        memsfl.put("device_peak_bytes", devicePeaks);
        memsfl.put("round_time_s", roundSeconds.stream().mapToDouble(Double::doubleValue).average().orElse(0));
        memsfl.put("wall_s", wall);
        memsfl.put("final_eval_loss", Double.isNaN(lastEvalLoss) ? null : lastEvalLoss);
        memsfl.put("bytes_up", bytesUp.get());
        memsfl.put("bytes_down", bytesDown.get());
        memsfl.put("activation_bytes", activationBytes + roundActivationBytes);
        memsfl.put("gradient_bytes", gradientBytes + roundGradientBytes);
        memsfl.put("dropped_devices", droppedAny);
        if (task != null) {
            memsfl.put("task", task); // generation-based evaluation of the final round (HeldOutEval)
        }
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("measured", true);
        memory.put("server_rss_before_model_bytes", rssBeforeModel);
        memory.put("server_peak_rss_bytes", serverPeak);
        memory.put("server_model_bytes", loaded.model().bytesByDtype());
        memory.put("server_model_bytes_by_category", loaded.model().bytesByPart());
        memory.put("devices", deviceMemory);
        memsfl.put("memory", memory);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("methods", Map.of("memsfl", memsfl));
        Map<String, Object> settings = new LinkedHashMap<>(s.toMap());
        settings.put("transport", "grpc");
        summary.put("settings", settings);
        Map<String, Integer> cuts = new LinkedHashMap<>();
        devices.forEach(d -> cuts.put(d.id(), d.cut()));
        summary.put("cuts", cuts);
        if (stopped != null) {
            summary.put("stopped", stopped);
        }
        summary.put("finished_at", Instant.now().toString());
        Json.write(s.out().resolve("summary.json"), summary);
        return summary;
    }
}
