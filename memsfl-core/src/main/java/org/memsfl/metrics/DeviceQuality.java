package org.memsfl.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One metric per device, on each device's own held-out examples (natural partitions are non-IID, so one device's
 * quality says little about another's), summarised as the federated benchmarks report it: the mean over devices, the
 * worst device, and the spread (best minus worst). Devices are keyed by id in fleet order.
 */
public record DeviceQuality(String metric, Map<String, Double> perDevice, double mean, double worst, String worstDevice,
        double spread) {

    public DeviceQuality {
        perDevice = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(perDevice));
    }

    /** Summarises per-device scores where higher is better; needs at least one device. */
    public static DeviceQuality of(String metric, Map<String, Double> perDevice) {
        if (perDevice.isEmpty()) {
            throw new IllegalArgumentException("per-device quality needs at least one device, got none");
        }
        double sum = 0;
        double best = Double.NEGATIVE_INFINITY;
        double worst = Double.POSITIVE_INFINITY;
        String worstId = null;
        for (Map.Entry<String, Double> e : perDevice.entrySet()) {
            double v = e.getValue();
            sum += v;
            best = Math.max(best, v);
            if (v < worst) {
                worst = v;
                worstId = e.getKey();
            }
        }
        return new DeviceQuality(metric, perDevice, sum / perDevice.size(), worst, worstId, best - worst);
    }

    /** Scores {@code metric} on each device's predictions separately. */
    public static DeviceQuality score(Metric metric, Map<String, List<Prediction>> byDevice) {
        Map<String, Double> scores = new LinkedHashMap<>();
        byDevice.forEach((device, predictions) -> scores.put(device, metric.score(new ArrayList<>(predictions))));
        return of(metric.id(), scores);
    }
}
