package org.memsfl.sim.experiment;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One line of metrics.jsonl: one round of one method. */
public record RoundMetrics(String method, int round, double trainLoss, double evalLoss, double simRoundTimeS,
                           double wallS, long bytesUp, long bytesDown, long serverPeakBytes, long maxDevicePeakBytes,
                           List<String> participants, Map<String, Double> taskMetrics) {

    /** Task metrics of this round's generated answers; empty when the round was not evaluated by generation. */
    public RoundMetrics {
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
        if (!taskMetrics.isEmpty()) {
            m.put("task_metrics", taskMetrics);
        }
        return m;
    }
}
