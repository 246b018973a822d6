package org.memsfl.settings;

import org.memsfl.train.LrSchedule;

/**
 * What both sides of a split federated run agree on for its rounds (the server sends these to each device when it
 * registers). Its compact constructor is the one place these values are checked: {@link RunSettings} builds one to
 * check its own, and a device checks what arrives over the wire with it.
 *
 * @param rounds      federated rounds, counted from 1 (Flower's server round)
 * @param localSteps  local steps per device per round (I)
 * @param lr          peak learning rate of every optimizer, device and server side
 * @param warmup      linear warm-up steps of every optimizer (counted per optimizer)
 * @param maxGradNorm clipping of each side's adapter gradient (0 = none)
 * @param seed        the run's seed: initial adapters, and the per-round dropout streams (seed, device, round)
 */
public record RoundSettings(int rounds, int localSteps, double lr, int warmup, double maxGradNorm, long seed) {

    public RoundSettings {
        if (rounds <= 0) {
            throw new IllegalArgumentException("rounds must be > 0, got " + rounds);
        }
        if (localSteps <= 0) {
            throw new IllegalArgumentException("local steps must be > 0, got " + localSteps);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be a finite number > 0, got " + lr);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmup);
        }
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
            throw new IllegalArgumentException("max grad norm must be a finite number >= 0 (0 = no clipping), got "
                    + maxGradNorm);
        }
    }

    /** The learning rate by optimizer step: linear warm-up to {@code lr}, then constant. */
    public LrSchedule schedule() {
        return new LrSchedule(lr, warmup, 0, false);
    }
}
