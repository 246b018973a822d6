package org.memsfl.schedule;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Schrage's list-scheduling rule for {@code 1|r_j,q_j|Cmax} (L. Schrage, "Obtaining optimal solutions to resource
 * constrained network scheduling problems", 1971; analysed in J. Carlier, "The one-machine sequencing problem", EJOR
 * 11, 1982): whenever the machine is free, start the released job with the largest tail; if none is released, jump
 * to the next release. Its makespan is at most twice optimal (and at most {@code opt + max p}), and it is the upper
 * bound and the branching source of {@link Carlier}.
 *
 * <p>Ties (equal tails) go to the earlier release, then the smaller {@link Job#id()}, then the smaller position, so the
 * order is deterministic.
 */
public final class Schrage implements SchedulingPolicy {

    public static final String NAME = "schrage";

    @Override
    public List<Integer> order(List<Job> jobs, SplittableRandom rng) {
        int n = jobs.size();
        double[] r = new double[n];
        double[] p = new double[n];
        double[] q = new double[n];
        int[] ids = new int[n];
        for (int j = 0; j < n; j++) {
            Job job = jobs.get(j);
            r[j] = job.release();
            p[j] = job.processing();
            q[j] = job.tail();
            ids[j] = job.id();
        }
        return Schedule.toList(sequence(r, p, q, ids));
    }

    /** Online, everything waiting is released: the largest tail, ties as in {@link #order}. */
    @Override
    public int dispatch(List<Job> waiting, SplittableRandom rng) {
        if (waiting.isEmpty()) {
            throw new IllegalArgumentException("dispatch needs at least one waiting job, got none");
        }
        int best = 0;
        for (int j = 1; j < waiting.size(); j++) {
            Job a = waiting.get(j);
            Job b = waiting.get(best);
            int byTail = Double.compare(a.tail(), b.tail());
            int byRelease = Double.compare(a.release(), b.release());
            if (byTail > 0 || (byTail == 0 && (byRelease < 0 || (byRelease == 0 && a.id() < b.id())))) {
                best = j;
            }
        }
        return best;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Schrage's sequence on raw arrays (positions). */
    static int[] sequence(double[] r, double[] p, double[] q, int[] ids) {
        return new ListScheduler(r.length).schrage(r, p, q, ids);
    }
}
