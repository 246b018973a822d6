package org.memsfl.fleet;

/**
 * One mobile or edge device as the planner (memory) and the delay model (seconds) see it, DESIGN.md sections 5-6.
 *
 * @param id                     unique name within a fleet, e.g. {@code phone-a}
 * @param memoryBudgetBytes      memory the device can give to fine-tuning (not its total RAM), > 0
 * @param flopsPerSecond         effective (achieved, not peak) compute speed, > 0
 * @param uplinkBytesPerSecond   device-to-server bandwidth in bytes per second, > 0
 * @param downlinkBytesPerSecond server-to-device bandwidth in bytes per second, > 0
 * @param latencySeconds         one-way latency added to every message, >= 0
 *
 * <p>Speeds and bandwidths are at least 1 per second and latency at most a day, so that every time the delay model
 * predicts from them stays finite (a compute speed of 4.9e-324 FLOP/s is a valid double but an infinite step).
 */
public record DeviceProfile(String id, long memoryBudgetBytes, double flopsPerSecond, double uplinkBytesPerSecond,
                            double downlinkBytesPerSecond, double latencySeconds) {

    public DeviceProfile {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("device id must be a non-empty name");
        }
        if (memoryBudgetBytes <= 0) {
            throw new IllegalArgumentException("device " + id + " memoryBudgetBytes must be > 0, got " + memoryBudgetBytes);
        }
        Checks.positive("device " + id + " flopsPerSecond", flopsPerSecond);
        Checks.positive("device " + id + " uplinkBytesPerSecond", uplinkBytesPerSecond);
        Checks.positive("device " + id + " downlinkBytesPerSecond", downlinkBytesPerSecond);
        Checks.nonNegative("device " + id + " latencySeconds", latencySeconds);
        Checks.within("device " + id + " flopsPerSecond", flopsPerSecond, 1, 1e24, "FLOP/s");
        Checks.within("device " + id + " uplinkBytesPerSecond", uplinkBytesPerSecond, 1, 1e18, "B/s");
        Checks.within("device " + id + " downlinkBytesPerSecond", downlinkBytesPerSecond, 1, 1e18, "B/s");
        Checks.within("device " + id + " latencySeconds", latencySeconds, 0, 86400, "s");
    }
}
