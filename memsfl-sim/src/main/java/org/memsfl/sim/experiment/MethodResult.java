package org.memsfl.sim.experiment;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.cost.MethodMemory;
import org.memsfl.train.TaskEvaluator;

/**
 * One method's outcome in an experiment.
 *
 * @param name          method id
 * @param rounds        per-round metrics, in order
 * @param memory        modeled memory of the server and every device at the trained model's shape
 * @param roundTimeS    simulated seconds of one round
 * @param wallS         measured seconds of the whole run
 * @param finalEvalLoss held-out loss after the last round
 * @param bytesUp       total device-to-server bytes
 * @param bytesDown     total server-to-device bytes
 * @param dropped       devices that could not take part
 * @param task          generation-based evaluation of the final round; null when not asked for
 */
public record MethodResult(String name, List<RoundMetrics> rounds, MethodMemory memory, double roundTimeS, double wallS,
                           double finalEvalLoss, long bytesUp, long bytesDown, List<String> dropped,
                           TaskEvaluator.Result task) {

    /** Task metrics over all devices' prompts, and the headline metric per device with its mean, worst and spread. */
    public static Map<String, Object> taskSummary(TaskEvaluator.Result task) {
        return task.toSummary();
    }

    /** The per-method object of summary.json. */
    public Map<String, Object> toSummary() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("server_peak_bytes", memory.serverPeak());
        Map<String, Long> devices = new java.util.LinkedHashMap<>();
        memory.devices().forEach((id, b) -> devices.put(id, b.total()));
        m.put("device_peak_bytes", devices);
        m.put("round_time_s", roundTimeS);
        m.put("wall_s", wallS);
        m.put("final_eval_loss", finalEvalLoss);
        m.put("bytes_up", bytesUp);
        m.put("bytes_down", bytesDown);
        m.put("dropped_devices", dropped);
        Map<String, Object> mem = new LinkedHashMap<>();
        mem.put("method", name);
        mem.putAll(memory.toMap());
        m.put("memory", mem);
        if (task != null) {
            m.put("task", taskSummary(task));
        }
        return m;
    }
}
