package org.memsfl.fleet;

/**
 * The edge server of DESIGN.md section 1: one machine that runs every device's server segment.
 *
 * @param flopsPerSecond effective compute speed, > 0
 * @param memoryBytes    memory available for training (GPU memory for a GPU server), > 0
 */
public record ServerProfile(double flopsPerSecond, long memoryBytes) {

    public ServerProfile {
        Checks.positive("server flopsPerSecond", flopsPerSecond);
        Checks.within("server flopsPerSecond", flopsPerSecond, 1, 1e24, "FLOP/s");
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("server memoryBytes must be > 0, got " + memoryBytes);
        }
    }
}
