package org.memsfl.schedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A server order and its non-delay timing for one instance of {@code 1|r_j,q_j|Cmax}.
 *
 * <p>Indexing: {@code order} lists positions in the job list the schedule was built from (not {@link Job#id()}s), in
 * service order; {@code start[j]} and {@code completion[j]} belong to the job at position {@code j} of that list.
 * {@code makespan = max_j (completion[j] + tail_j)}, and 0 for no jobs.
 *
 * <p>Non-delay in a given order is the right evaluation: for a fixed order, starting each job as early as possible
 * (at the later of its release and the previous completion) minimises every completion time, so every order's best
 * makespan is the one computed here, and an optimal order evaluated this way is an optimal schedule.
 *
 * @param order      a permutation of {@code 0..n-1}, in service order
 * @param start      start time per job position
 * @param completion completion time on the server per job position
 * @param makespan   the latest {@code completion + tail}
 */
public record Schedule(List<Integer> order, double[] start, double[] completion, double makespan) {

    public Schedule {
        order = List.copyOf(Objects.requireNonNull(order, "order"));
        requirePermutation(order, order.size());
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(completion, "completion");
        if (start.length != order.size() || completion.length != order.size()) {
            throw new IllegalArgumentException("start and completion must have one entry per job (" + order.size()
                    + "), got " + start.length + " and " + completion.length);
        }
        for (int j = 0; j < start.length; j++) {
            if (!(completion[j] >= start[j])) {
                throw new IllegalArgumentException("completion must be >= start, job " + j + ": start " + start[j]
                        + ", completion " + completion[j]);
            }
        }
        if (!(makespan >= 0) || Double.isInfinite(makespan)) {
            throw new IllegalArgumentException("makespan must be finite and >= 0, got " + makespan);
        }
        // Arrays are mutable: keep private copies so a schedule cannot change after it was checked.
        start = start.clone();
        completion = completion.clone();
    }

    /** Evaluates {@code order} non-delay: each job starts at max(previous completion, its release). */
    public static Schedule of(List<Job> jobs, List<Integer> order) {
        Objects.requireNonNull(jobs, "jobs");
        Objects.requireNonNull(order, "order");
        requirePermutation(order, jobs.size());
        double[] start = new double[jobs.size()];
        double[] completion = new double[jobs.size()];
        double t = 0;
        double makespan = 0;
        for (int j : order) {
            Job job = jobs.get(j);
            // Same arithmetic, in the same sequence, as makespan(...) below and BruteForce: equal orders give
            // bit-identical makespans, so exactness tests can compare doubles directly.
            start[j] = Math.max(t, job.release());
            t = start[j] + job.processing();
            completion[j] = t;
            makespan = Math.max(makespan, t + job.tail());
        }
        return new Schedule(order, start, completion, makespan);
    }

    /** Makespan of {@code seq} (positions) non-delay, on raw arrays; the arithmetic of {@link #of}. */
    static double makespan(double[] r, double[] p, double[] q, int[] seq) {
        double t = 0;
        double makespan = 0;
        for (int j : seq) {
            t = Math.max(t, r[j]) + p[j];
            makespan = Math.max(makespan, t + q[j]);
        }
        return makespan;
    }

    static List<Integer> toList(int[] seq) {
        List<Integer> out = new ArrayList<>(seq.length);
        for (int j : seq) {
            out.add(j);
        }
        return List.copyOf(out);
    }

    static void requirePermutation(List<Integer> order, int n) {
        if (order.size() != n) {
            throw new IllegalArgumentException("order must list each of the " + n + " jobs once, got " + order.size()
                    + " entries");
        }
        boolean[] seen = new boolean[n];
        for (Integer j : order) {
            if (j == null || j < 0 || j >= n) {
                throw new IllegalArgumentException("order entries must be job positions in 0.." + (n - 1) + ", got "
                        + j);
            }
            if (seen[j]) {
                throw new IllegalArgumentException("order lists job position " + j + " twice");
            }
            seen[j] = true;
        }
    }

    @Override
    public double[] start() {
        return start.clone();
    }

    @Override
    public double[] completion() {
        return completion.clone();
    }

    /** Start time of the job at position {@code j}, without copying the array. */
    public double startOf(int j) {
        return start[j];
    }

    /** Server completion time of the job at position {@code j}, without copying the array. */
    public double completionOf(int j) {
        return completion[j];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schedule s && order.equals(s.order) && Arrays.equals(start, s.start)
                && Arrays.equals(completion, s.completion) && Double.compare(makespan, s.makespan) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(order, Arrays.hashCode(start), Arrays.hashCode(completion), makespan);
    }

    @Override
    public String toString() {
        return "Schedule[order=" + order + ", start=" + Arrays.toString(start) + ", completion="
                + Arrays.toString(completion) + ", makespan=" + makespan + "]";
    }
}
