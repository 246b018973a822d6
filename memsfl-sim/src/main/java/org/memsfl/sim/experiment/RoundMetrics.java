package org.memsfl.sim.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.schedule.RoundResult;
import org.memsfl.schedule.ServerSlot;

/**
 * One line of metrics.jsonl: one round of one method.
 *
 * @param simRoundTimeS a sequential split server (memsfl, splitlora): the served round's simulated seconds (its
 *                      {@code serverSlots}) plus the adapter exchange; the other methods: their cost model's round
 * @param serveOrder    split methods: the local steps in the order the server served them ({@code "<device>:<step>"},
 *                      the dispatcher's order, as the edge server's metrics.jsonl records it); empty for the others
 * @param serverSlots   a sequential split server: the simulated round the steps were served in, slot by slot in
 *                      {@code serveOrder}'s order (arrival, start and end, seconds since the round began); else empty
 */
public record RoundMetrics(String method, int round, double trainLoss, double evalLoss, double simRoundTimeS,
                           double wallS, long bytesUp, long bytesDown, long serverPeakBytes, long maxDevicePeakBytes,
                           List<String> participants, List<String> serveOrder, List<Slot> serverSlots,
                           Map<String, Double> taskMetrics) {

    /** One served local step in the simulated round: {@code "<device>:<step>"} and its times in seconds. */
    public record Slot(String step, double releaseS, double startS, double endS) {
    }

    /** Task metrics of this round's generated answers; empty when the round was not evaluated by generation. */
    public RoundMetrics {
        serveOrder = List.copyOf(serveOrder);
        serverSlots = List.copyOf(serverSlots);
        taskMetrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(taskMetrics));
    }

    /** A round without simulated server slots. */
    public RoundMetrics(String method, int round, double trainLoss, double evalLoss, double simRoundTimeS, double wallS,
                        long bytesUp, long bytesDown, long serverPeakBytes, long maxDevicePeakBytes,
                        List<String> participants, List<String> serveOrder, Map<String, Double> taskMetrics) {
        this(method, round, trainLoss, evalLoss, simRoundTimeS, wallS, bytesUp, bytesDown, serverPeakBytes,
                maxDevicePeakBytes, participants, serveOrder, List.of(), taskMetrics);
    }

    /** The slots of a simulated round in serving order (empty for none). */
    static List<Slot> slots(RoundResult schedule) {
        List<Slot> out = new ArrayList<>();
        if (schedule != null) {
            List<String> order = schedule.serveOrder();
            for (int i = 0; i < order.size(); i++) {
                ServerSlot s = schedule.slots().get(i);
                out.add(new Slot(order.get(i), s.release(), s.start(), s.end()));
            }
        }
        return out;
    }

    /** A method's round time over its rounds: their common value, else their mean (a random order, a round left out). */
    static double meanRoundTime(List<RoundMetrics> rounds) {
        if (rounds.isEmpty()) {
            return Double.NaN;
        }
        double first = rounds.get(0).simRoundTimeS();
        if (rounds.stream().allMatch(r -> Double.compare(r.simRoundTimeS(), first) == 0)) {
            return first;
        }
        return rounds.stream().mapToDouble(RoundMetrics::simRoundTimeS).average().orElseThrow();
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("round", round);
        m.put("train_loss", trainLoss);
        m.put("eval_loss", evalLoss);
        m.put("sim_round_time_s", simRoundTimeS);
        m.put("wall_s", wallS);
        m.put("bytes_up", bytesUp);
        m.put("bytes_down", bytesDown);
        m.put("server_peak_bytes", serverPeakBytes);
        m.put("max_device_peak_bytes", maxDevicePeakBytes);
        m.put("participants", participants);
        if (!serveOrder.isEmpty()) {
            m.put("serve_order", serveOrder);
        }
        if (!serverSlots.isEmpty()) {
            List<Map<String, Object>> slots = new ArrayList<>();
            for (Slot s : serverSlots) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("step", s.step());
                one.put("release_s", s.releaseS());
                one.put("start_s", s.startS());
                one.put("end_s", s.endS());
                slots.add(one);
            }
            m.put("server_slots", slots);
        }
        if (!taskMetrics.isEmpty()) {
            m.put("task_metrics", taskMetrics);
        }
        return m;
    }
}
