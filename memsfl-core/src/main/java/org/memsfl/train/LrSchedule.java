package org.memsfl.train;

/**
 * Learning rate per step: linear warm-up from lr/warmup to lr over {@code warmupSteps}, then constant, or linearly
 * decayed to zero at {@code totalSteps} when {@code decay} is set.
 */
public record LrSchedule(double lr, int warmupSteps, int totalSteps, boolean decay) {

    public LrSchedule {
        if (!(lr > 0)) {
            throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        }
        if (decay && totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("total steps must exceed warm-up steps for decay, got " + totalSteps);
        }
    }

    public static LrSchedule constant(double lr) {
        return new LrSchedule(lr, 0, 0, false);
    }

    /** Rate of step {@code step}, counted from 1. */
    public double at(long step) {
        if (step <= warmupSteps) {
            return lr * step / Math.max(1, warmupSteps);
        }
        if (!decay) {
            return lr;
        }
        return lr * Math.max(0.0, (double) (totalSteps - step) / (totalSteps - warmupSteps));
    }
}
