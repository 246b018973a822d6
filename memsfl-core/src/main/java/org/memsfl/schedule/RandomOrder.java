package org.memsfl.schedule;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A uniformly random order (Fisher-Yates shuffle driven by the caller's seeded generator): the floor any sensible rule
 * should beat, and a check that the simulator is not accidentally favouring one order.
 */
public final class RandomOrder implements SchedulingPolicy {

    public static final String NAME = "random";

    @Override
    public List<Integer> order(List<Job> jobs, SplittableRandom rng) {
        Objects.requireNonNull(rng, "the random policy needs a SplittableRandom; got null");
        int n = jobs.size();
        int[] seq = new int[n];
        for (int i = 0; i < n; i++) {
            seq[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int k = rng.nextInt(i + 1);
            int tmp = seq[i];
            seq[i] = seq[k];
            seq[k] = tmp;
        }
        return Schedule.toList(seq);
    }

    @Override
    public String name() {
        return NAME;
    }
}
