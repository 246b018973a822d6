package org.memsfl.schedule;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exact {@code 1|r_j,q_j|Cmax} by the branch and bound of J. Carlier, "The one-machine sequencing problem", European
 * Journal of Operational Research 11 (1982) 42-47, built on Schrage's rule (1971).
 *
 * <p>At each node: run {@link Schrage} on the node's (modified) releases and tails, giving makespan {@code f}; its
 * order, re-evaluated on the original data, may improve the incumbent. Find the critical path: {@code b} is the last
 * job with {@code C_b + q_b = f}, {@code a} the first job of the idle-free block ending at {@code b}. If no job of
 * {@code a..b-1} has a tail smaller than {@code q_b}, Schrage's schedule is optimal for the node. Otherwise let
 * {@code c} be the last such job and {@code J} the jobs after {@code c} up to {@code b}; any schedule that runs
 * {@code c} in the middle of {@code J} is no better than {@code f} (Carlier's {@code h(J) + p_c > f}), so branch on
 * "c after J" ({@code r_c := max(r_c, min r_J + sum p_J)}) and "c before J" ({@code q_c := max(q_c, min q_J + sum
 * p_J)}). Each child is bounded by the preemptive (Jackson) schedule of its instance, which dominates Carlier's
 * {@code h(J)} and {@code h(J u {c})} bounds, and children are explored depth first, lower bound first.
 *
 * <p>Two such trees run interleaved, node by node, sharing one incumbent: one on the instance and one on its mirror
 * (releases and tails swapped; a mirror order reversed is an original order with the same makespan, so the optimum is
 * the same). Hard instances are often easy the other way round: on Carlier-style hard integer instances of 50 jobs
 * (p in 1..50, r and q in 1..18n) most searches of 10^4-10^5 nodes became a few hundred; an instance hard both ways
 * costs up to twice the nodes. Either tree running dry proves optimality. Trees are iterative (explicit stacks), so
 * depth cannot overflow the thread stack.
 *
 * <p>A node limit guards against the rare hard instance: when it is reached, the best order found is returned,
 * {@link Result#provedOptimal()} is false, {@link Result#lowerBound()} says how far from optimal it can be, a WARNING
 * is logged through {@link System.Logger}, and {@link #unprovenCount()} is incremented, so a fallback is never
 * silent.
 */
public final class Carlier implements SchedulingPolicy {

    public static final String NAME = "exact";
    /**
     * Nodes (both trees together) explored before giving up on a proof: a few seconds at most for 50-100 jobs.
     * Fleet-like instances need a handful of nodes; the hardest random integer instances seen needed about 10^5.
     */
    public static final long DEFAULT_NODE_LIMIT = 200_000;

    private static final System.Logger LOG = System.getLogger(Carlier.class.getName());

    private final long nodeLimit;
    private final AtomicLong unproven = new AtomicLong();

    public Carlier() {
        this(DEFAULT_NODE_LIMIT);
    }

    public Carlier(long nodeLimit) {
        if (nodeLimit < 1) {
            throw new IllegalArgumentException("node limit must be >= 1, got " + nodeLimit);
        }
        this.nodeLimit = nodeLimit;
    }

    /**
     * The outcome of one solve.
     *
     * @param order         best order found (positions), in service order
     * @param makespan      its makespan, evaluated as {@link Schedule#of} does
     * @param lowerBound    proved lower bound on the optimum ({@code == makespan} when proved optimal)
     * @param nodes         branch-and-bound nodes explored
     * @param provedOptimal false only when the node limit stopped the search before the proof
     */
    public record Result(List<Integer> order, double makespan, double lowerBound, long nodes, boolean provedOptimal) {

        public Result {
            order = List.copyOf(Objects.requireNonNull(order, "order"));
            if (nodes < 0) {
                throw new IllegalArgumentException("nodes must be >= 0, got " + nodes);
            }
            if (lowerBound > makespan) {
                throw new IllegalArgumentException("lower bound " + lowerBound + " exceeds makespan " + makespan);
            }
        }
    }

    @Override
    public List<Integer> order(List<Job> jobs, SplittableRandom rng) {
        return solve(jobs).order();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Online online() {
        return Online.WAVE_PLAN;
    }

    /** How many solves of this instance stopped at the node limit without proving optimality. */
    public long unprovenCount() {
        return unproven.get();
    }

    public long nodeLimit() {
        return nodeLimit;
    }

    /** Solves {@code jobs} exactly (or up to the node limit, reported in the result). */
    public Result solve(List<Job> jobs) {
        Objects.requireNonNull(jobs, "jobs");
        int n = jobs.size();
        if (n == 0) {
            return new Result(List.of(), 0, 0, 0, true);
        }
        double[] r0 = new double[n];
        double[] p = new double[n];
        double[] q0 = new double[n];
        int[] ids = new int[n];
        for (int j = 0; j < n; j++) {
            Job job = jobs.get(j);
            r0[j] = job.release();
            p[j] = job.processing();
            q0[j] = job.tail();
            ids[j] = job.id();
        }

        // Carlier's tree on the instance and on its mirror, interleaved node by node, sharing the incumbent: hard
        // instances are often easy the other way round, and either tree running dry proves optimality.
        CarlierSearch.Incumbent incumbent = new CarlierSearch.Incumbent(r0, p, q0);
        CarlierSearch forward = new CarlierSearch(r0, p, q0, ids, false);
        CarlierSearch mirror = new CarlierSearch(q0, p, r0, ids, true);
        long nodes = 0;
        boolean proved = false;
        while (nodes < nodeLimit) {
            if (forward.step(incumbent)) {
                nodes++;
            }
            if (forward.exhausted(incumbent.makespan)) {
                proved = true;
                break;
            }
            if (nodes < nodeLimit && mirror.step(incumbent)) {
                nodes++;
            }
            if (mirror.exhausted(incumbent.makespan)) {
                proved = true;
                break;
            }
        }
        double makespan = incumbent.makespan;
        // Both trees bound the same optimum, so the larger of their open bounds is the better proof of the gap.
        double lower = proved ? makespan
                : Math.min(makespan, Math.max(forward.lowerBound(makespan), mirror.lowerBound(makespan)));
        if (!proved) {
            unproven.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING,
                    "Carlier branch and bound stopped at its node limit ({0}) on {1} jobs: returning the best order "
                            + "found, makespan {2}, not proved optimal (lower bound {3})",
                    nodeLimit, n, makespan, lower);
        }
        return new Result(Schedule.toList(incumbent.order), makespan, lower, nodes, proved);
    }
}
