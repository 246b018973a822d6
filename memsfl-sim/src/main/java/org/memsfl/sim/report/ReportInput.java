package org.memsfl.sim.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the experiment report shows, as plain data: the runner fills it and hands it to
 * {@link ReportWriter#write} (HTML with charts) or {@link TextTable#render} (console table).
 *
 * <p>All maps keep the caller's iteration order (methods, policies, memory categories and settings are shown in
 * that order), so pass a {@link LinkedHashMap} when the order matters. Collections are copied and unmodifiable.
 * Doubles may be {@code NaN} for "not measured" (shown as {@code n/a} and left out of charts); negative times and
 * byte counts are rejected.
 *
 * @param title                      report heading
 * @param settings                   key/value table (model, data, fleet, rounds, local steps, scheduler, seed...);
 *                                   values may be any object, {@code null} shows as {@code -}
 * @param rounds                     per-method, per-round metrics (loss curves)
 * @param methods                    per-method summary, keyed by method name
 * @param roundTimeByPolicy          simulated round time (seconds) of the memsfl method per scheduling policy,
 *                                   e.g. {@code fcfs}, {@code schrage}, {@code exact}, {@code random}
 * @param roundTimeByMethodAndPolicy optional: method to (policy to seconds); {@code null} means empty
 * @param gantt                      the server's schedule for one round
 * @param ganttPolicy                the policy that produced {@code gantt}; {@code null} means unnamed
 * @param scale                      the cost-model table at a larger shape
 * @param quality                    optional: method to its task quality from generated answers; {@code null} means
 *                                   none (loss only)
 */
public record ReportInput(String title, Map<String, Object> settings, List<MethodRound> rounds,
                          Map<String, MethodSummary> methods, Map<String, Double> roundTimeByPolicy,
                          Map<String, Map<String, Double>> roundTimeByMethodAndPolicy, List<GanttSlot> gantt,
                          String ganttPolicy, List<ScaleRow> scale, Map<String, Quality> quality) {

    /** Without task quality. */
    public ReportInput(String title, Map<String, Object> settings, List<MethodRound> rounds,
                       Map<String, MethodSummary> methods, Map<String, Double> roundTimeByPolicy,
                       Map<String, Map<String, Double>> roundTimeByMethodAndPolicy, List<GanttSlot> gantt,
                       String ganttPolicy, List<ScaleRow> scale) {
        this(title, settings, rounds, methods, roundTimeByPolicy, roundTimeByMethodAndPolicy, gantt, ganttPolicy, scale,
                null);
    }

    public ReportInput {
        Objects.requireNonNull(title, "ReportInput.title must not be null");
        settings = copyMapAllowNullValues("ReportInput.settings", settings);
        rounds = copyList("ReportInput.rounds", rounds);
        methods = copyMap("ReportInput.methods", methods);
        roundTimeByPolicy = copyMap("ReportInput.roundTimeByPolicy", roundTimeByPolicy);
        roundTimeByPolicy.forEach((p, s) -> nonNegative("ReportInput.roundTimeByPolicy[" + p + "]", s));
        if (roundTimeByMethodAndPolicy == null) {
            roundTimeByMethodAndPolicy = Map.of();
        } else {
            Map<String, Map<String, Double>> copy = new LinkedHashMap<>();
            roundTimeByMethodAndPolicy.forEach((m, byPolicy) -> {
                String where = "ReportInput.roundTimeByMethodAndPolicy[" + m + "]";
                Map<String, Double> inner = copyMap(where, byPolicy);
                inner.forEach((p, s) -> nonNegative(where + "[" + p + "]", s));
                copy.put(Objects.requireNonNull(m, "ReportInput.roundTimeByMethodAndPolicy has a null method"),
                        inner);
            });
            roundTimeByMethodAndPolicy = Collections.unmodifiableMap(copy);
        }
        gantt = copyList("ReportInput.gantt", gantt);
        ganttPolicy = ganttPolicy == null ? "" : ganttPolicy;
        scale = copyList("ReportInput.scale", scale);
        quality = quality == null ? Map.of() : copyMap("ReportInput.quality", quality);
    }

    /** Without the optional per-method policy table. */
    public ReportInput(String title, Map<String, Object> settings, List<MethodRound> rounds,
                       Map<String, MethodSummary> methods, Map<String, Double> roundTimeByPolicy,
                       List<GanttSlot> gantt, String ganttPolicy, List<ScaleRow> scale) {
        this(title, settings, rounds, methods, roundTimeByPolicy, null, gantt, ganttPolicy, scale);
    }

    /**
     * One method's metrics after one round.
     *
     * @param simRoundTimeS simulated (cost-model) round time in seconds
     * @param wallS         wall-clock seconds the simulation of this round took
     * @param bytesUp       bytes devices sent to the server this round
     * @param bytesDown     bytes the server sent to devices this round
     */
    public record MethodRound(String method, int round, double trainLoss, double evalLoss, double simRoundTimeS,
                              double wallS, long bytesUp, long bytesDown) {

        public MethodRound {
            Objects.requireNonNull(method, "MethodRound.method must not be null");
            String where = "MethodRound[" + method + ", round " + round + "].";
            nonNegative(where + "simRoundTimeS", simRoundTimeS);
            nonNegative(where + "wallS", wallS);
            nonNegative(where + "bytesUp", bytesUp);
            nonNegative(where + "bytesDown", bytesDown);
        }
    }

    /**
     * One method over the whole run.
     *
     * @param serverPeakBytes         cost-model peak bytes on the server
     * @param devicePeakBytes         cost-model peak bytes per device
     * @param roundTimeS              simulated round time in seconds
     * @param wallS                   wall-clock seconds for the whole method
     * @param finalEvalLoss           eval loss after the last round ({@code NaN} if none)
     * @param bytesUp                 total bytes devices sent
     * @param bytesDown               total bytes the server sent
     * @param serverMemoryByCategory  server peak by category ({@code frozen_weights}, {@code lora_params},
     *                                {@code lora_grads}, {@code optimizer_state}, {@code activations},
     *                                {@code buffers}; a {@code total} key is ignored by the charts)
     * @param deviceMemoryByCategory  device to its peak by category
     * @param measuredServerPeakBytes measured (allocator) server peak; {@code null} when not measured
     * @param droppedDevices          devices that could not take part (memory budget)
     */
    public record MethodSummary(long serverPeakBytes, Map<String, Long> devicePeakBytes, double roundTimeS,
                                double wallS, double finalEvalLoss, long bytesUp, long bytesDown,
                                Map<String, Long> serverMemoryByCategory,
                                Map<String, Map<String, Long>> deviceMemoryByCategory, Long measuredServerPeakBytes,
                                List<String> droppedDevices) {

        public MethodSummary {
            nonNegative("MethodSummary.serverPeakBytes", serverPeakBytes);
            devicePeakBytes = copyMap("MethodSummary.devicePeakBytes", devicePeakBytes);
            devicePeakBytes.forEach((d, b) -> nonNegative("MethodSummary.devicePeakBytes[" + d + "]", b));
            nonNegative("MethodSummary.roundTimeS", roundTimeS);
            nonNegative("MethodSummary.wallS", wallS);
            nonNegative("MethodSummary.bytesUp", bytesUp);
            nonNegative("MethodSummary.bytesDown", bytesDown);
            serverMemoryByCategory = copyMap("MethodSummary.serverMemoryByCategory", serverMemoryByCategory);
            serverMemoryByCategory.forEach(
                    (c, b) -> nonNegative("MethodSummary.serverMemoryByCategory[" + c + "]", b));
            Objects.requireNonNull(deviceMemoryByCategory, "MethodSummary.deviceMemoryByCategory must not be null");
            Map<String, Map<String, Long>> devices = new LinkedHashMap<>();
            deviceMemoryByCategory.forEach((d, byCat) -> {
                String where = "MethodSummary.deviceMemoryByCategory[" + d + "]";
                Map<String, Long> inner = copyMap(where, byCat);
                inner.forEach((c, b) -> nonNegative(where + "[" + c + "]", b));
                devices.put(Objects.requireNonNull(d, "MethodSummary.deviceMemoryByCategory has a null device"),
                        inner);
            });
            deviceMemoryByCategory = Collections.unmodifiableMap(devices);
            if (measuredServerPeakBytes != null) {
                nonNegative("MethodSummary.measuredServerPeakBytes", measuredServerPeakBytes);
            }
            droppedDevices = copyList("MethodSummary.droppedDevices", droppedDevices);
        }
    }

    /**
     * One method's task quality from generated answers after its final round.
     *
     * @param metric      the headline metric's name (e.g. {@code rouge_l}); higher is better
     * @param metrics     every task metric over all devices' prompts, headline first
     * @param perDevice   the headline metric on each device's own held-out prompts
     * @param byRound     the headline metric after each round that was evaluated by generation
     */
    public record Quality(String metric, Map<String, Double> metrics, Map<String, Double> perDevice,
                          Map<Integer, Double> byRound) {

        public Quality {
            Objects.requireNonNull(metric, "Quality.metric must not be null");
            metrics = copyMap("Quality.metrics", metrics);
            perDevice = copyMap("Quality.perDevice", perDevice);
            byRound = Collections.unmodifiableMap(new LinkedHashMap<>(byRound));
        }

        /** The headline metric over all devices' prompts (NaN when missing). */
        public double value() {
            return metrics.getOrDefault(metric, Double.NaN);
        }

        public double deviceMean() {
            return perDevice.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }

        public double deviceWorst() {
            return perDevice.values().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        }

        /** The device with the lowest score, or "" when there are none. */
        public String worstDevice() {
            return perDevice.entrySet().stream().min(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("");
        }

        /** Best minus worst device. */
        public double deviceSpread() {
            return perDevice.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN) - deviceWorst();
        }
    }

    /** One local step of one device in the server's schedule, from {@code startS} to {@code endS} seconds. */
    public record GanttSlot(String device, int localStep, double startS, double endS) {

        public GanttSlot {
            Objects.requireNonNull(device, "GanttSlot.device must not be null");
            if (!(startS >= 0) || Double.isInfinite(startS) || !(endS >= startS) || Double.isInfinite(endS)) {
                throw new IllegalArgumentException("GanttSlot[" + device + ", step " + localStep
                        + "] needs finite 0 <= startS <= endS, got " + startS + " .. " + endS);
            }
        }
    }

    /**
     * One method at a larger model shape, from the cost model alone; {@code serverMemoryByCategory} breaks its server
     * peak down as {@link MethodSummary#serverMemoryByCategory} does (empty: not broken down).
     */
    public record ScaleRow(String method, String model, long serverPeakBytes, long maxDevicePeakBytes,
                           double roundTimeS, List<String> dropped, Map<String, Long> serverMemoryByCategory) {

        /** A row without a breakdown. */
        public ScaleRow(String method, String model, long serverPeakBytes, long maxDevicePeakBytes, double roundTimeS,
                        List<String> dropped) {
            this(method, model, serverPeakBytes, maxDevicePeakBytes, roundTimeS, dropped, Map.of());
        }

        public ScaleRow {
            Objects.requireNonNull(method, "ScaleRow.method must not be null");
            Objects.requireNonNull(model, "ScaleRow.model must not be null");
            nonNegative("ScaleRow[" + method + "].serverPeakBytes", serverPeakBytes);
            nonNegative("ScaleRow[" + method + "].maxDevicePeakBytes", maxDevicePeakBytes);
            nonNegative("ScaleRow[" + method + "].roundTimeS", roundTimeS);
            dropped = copyList("ScaleRow[" + method + "].dropped", dropped);
            serverMemoryByCategory = copyMap("ScaleRow[" + method + "].serverMemoryByCategory", serverMemoryByCategory);
            serverMemoryByCategory.forEach(
                    (c, b) -> nonNegative("ScaleRow[" + method + "].serverMemoryByCategory[" + c + "]", b));
        }

        /** For {@code scale.json}: snake-case keys, as in every other result file. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("method", method);
            m.put("model", model);
            m.put("server_peak_bytes", serverPeakBytes);
            m.put("max_device_peak_bytes", maxDevicePeakBytes);
            m.put("round_time_s", roundTimeS);
            m.put("dropped", dropped);
            m.put("server_memory_by_category", serverMemoryByCategory);
            return m;
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private static <T> List<T> copyList(String field, List<T> list) {
        Objects.requireNonNull(list, field + " must not be null (use an empty list)");
        for (int i = 0; i < list.size(); i++) {
            Objects.requireNonNull(list.get(i), field + "[" + i + "] must not be null");
        }
        return List.copyOf(list);
    }

    private static <V> Map<String, V> copyMap(String field, Map<String, V> map) {
        Objects.requireNonNull(map, field + " must not be null (use an empty map)");
        Map<String, V> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            Objects.requireNonNull(k, field + " has a null key");
            Objects.requireNonNull(v, field + "[" + k + "] must not be null");
            copy.put(k, v);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static Map<String, Object> copyMapAllowNullValues(String field, Map<String, Object> map) {
        Objects.requireNonNull(map, field + " must not be null (use an empty map)");
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(Objects.requireNonNull(k, field + " has a null key"), v));
        return Collections.unmodifiableMap(copy);
    }

    private static void nonNegative(String field, double v) {
        if (v < 0) { // NaN passes: "not measured"
            throw new IllegalArgumentException(field + " must be >= 0 (or NaN for not measured), got " + v);
        }
    }

    private static void nonNegative(String field, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, got " + v);
        }
    }
}
