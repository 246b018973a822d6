package org.memsfl.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Deterministic train/eval hold-out for datasets that ship without an eval split. */
public final class Splits {

    public static final double DEFAULT_EVAL_FRACTION = 0.05;
    /** Caps the eval set so that evaluating large datasets stays cheap next to training. */
    public static final int DEFAULT_MAX_EVAL = 500;
    public static final long DEFAULT_SEED = 0L;

    private Splits() {
    }

    public static Dataset holdOut(String name, List<Example> all) {
        return holdOut(name, all, DEFAULT_EVAL_FRACTION, DEFAULT_MAX_EVAL, DEFAULT_SEED);
    }

    /**
     * Holds out round(fraction * n) examples (at least 1 when n >= 2, at most {@code maxEval}) chosen by a seeded
     * shuffle; both parts keep the original order, so the same inputs and seed always give the same split.
     */
    public static Dataset holdOut(String name, List<Example> all, double fraction, int maxEval, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("fraction must be in [0, 1), got " + fraction);
        }
        if (maxEval < 0) {
            throw new IllegalArgumentException("maxEval must be >= 0, got " + maxEval);
        }
        int n = all.size();
        int k = (int) Math.min(maxEval, Math.round(fraction * n));
        if (k == 0 && fraction > 0 && maxEval > 0 && n >= 2) {
            k = 1;
        }
        int[] order = Shuffle.permutation(n, new SplittableRandom(seed));
        boolean[] isEval = new boolean[n];
        for (int i = 0; i < k; i++) {
            isEval[order[i]] = true;
        }
        List<Example> train = new ArrayList<>(n - k);
        List<Example> eval = new ArrayList<>(k);
        for (int i = 0; i < n; i++) {
            (isEval[i] ? eval : train).add(all.get(i));
        }
        return new Dataset(name, train, eval);
    }
}
