package org.memsfl.schedule;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Tries every permutation (n! of them) and keeps the first one, in lexicographic order of positions, with the smallest
 * makespan. No bounds, no pruning: it is the oracle that tests hold {@link Carlier} against, so it must be obviously
 * right rather than fast. Limited to {@value #MAX_JOBS} jobs (9! = 362,880 orders).
 */
public final class BruteForce implements SchedulingPolicy {

    public static final String NAME = "bruteforce";
    public static final int MAX_JOBS = 9;

    @Override
    public List<Integer> order(List<Job> jobs, SplittableRandom rng) {
        int n = jobs.size();
        if (n > MAX_JOBS) {
            throw new IllegalArgumentException("brute force handles at most " + MAX_JOBS + " jobs, got " + n);
        }
        Search s = new Search(jobs);
        s.extend(0, 0, 0);
        return Schedule.toList(s.best);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Online online() {
        return Online.WAVE_PLAN;
    }

    private static final class Search {
        final double[] r;
        final double[] p;
        final double[] q;
        final int[] prefix;
        final boolean[] used;
        int[] best;
        double bestMakespan = Double.POSITIVE_INFINITY;

        Search(List<Job> jobs) {
            int n = jobs.size();
            r = new double[n];
            p = new double[n];
            q = new double[n];
            for (int j = 0; j < n; j++) {
                r[j] = jobs.get(j).release();
                p[j] = jobs.get(j).processing();
                q[j] = jobs.get(j).tail();
            }
            prefix = new int[n];
            used = new boolean[n];
        }

        // Same arithmetic as Schedule.of, applied along the prefix, so makespans are bit-identical to it.
        void extend(int depth, double t, double makespan) {
            int n = r.length;
            if (depth == n) {
                if (makespan < bestMakespan) {
                    bestMakespan = makespan;
                    best = prefix.clone();
                }
                return;
            }
            for (int j = 0; j < n; j++) {
                if (!used[j]) {
                    used[j] = true;
                    prefix[depth] = j;
                    double c = Math.max(t, r[j]) + p[j];
                    extend(depth + 1, c, Math.max(makespan, c + q[j]));
                    used[j] = false;
                }
            }
        }
    }
}
