package org.memsfl.sim.experiment;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of metrics.jsonl: one round of one method.
 *
 * @param serveOrder split methods: the local steps in the order the server served them ({@code "<device>:<step>"}, the
 *                   dispatcher's order, as the edge server's metrics.jsonl records it); empty for the other methods
 */
public record RoundMetrics(String method, int round, double trainLoss, double evalLoss, double simRoundTimeS,
                           double wallS, long bytesUp, long bytesDown, long serverPeakBytes, long maxDevicePeakBytes,
                           List<String> participants, List<String> serveOrder, Map<String, Double> taskMetrics) {

    /** Task metrics of this round's generated answers; empty when the round was not evaluated by generation. */
    public RoundMetrics {
        serveOrder = List.copyOf(serveOrder);
        taskMetrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(taskMetrics));
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
        if (!taskMetrics.isEmpty()) {
            m.put("task_metrics", taskMetrics);
        }
        return m;
    }
}
