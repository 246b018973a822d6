package org.memsfl.data;

import java.util.random.RandomGenerator;

/** Gamma and Dirichlet sampling (Marsaglia and Tsang, 2000), deterministic for a seeded generator. */
public final class Gamma {

    private Gamma() {
    }

    /** A Gamma(shape, 1) draw. */
    public static double sample(RandomGenerator rng, double shape) {
        return Math.exp(logSample(rng, shape));
    }

    /**
     * log of a Gamma(shape, 1) draw. Small shapes use Gamma(a) = Gamma(a + 1) * U^(1/a); in log space, because for
     * a = 0.05 the factor U^20 underflows to 0 often enough to break a Dirichlet normalisation.
     */
    public static double logSample(RandomGenerator rng, double shape) {
        if (!(shape > 0) || Double.isInfinite(shape)) {
            throw new IllegalArgumentException("shape must be > 0 and finite, got " + shape);
        }
        if (shape < 1) {
            double u = 1.0 - rng.nextDouble(); // in (0, 1], so the log is finite
            return logSample(rng, shape + 1) + Math.log(u) / shape;
        }
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.sqrt(9 * d);
        while (true) {
            double x = rng.nextGaussian();
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = rng.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return Math.log(d) + Math.log(v);
            }
        }
    }

    /** A Dirichlet(alpha, ..., alpha) draw over {@code k} categories; sums to 1. */
    public static double[] dirichlet(RandomGenerator rng, double alpha, int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be > 0, got " + k);
        }
        double[] logs = new double[k];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            logs[i] = logSample(rng, alpha);
            max = Math.max(max, logs[i]);
        }
        double sum = 0;
        double[] p = new double[k];
        for (int i = 0; i < k; i++) {
            p[i] = Math.exp(logs[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < k; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
