package org.memsfl.schedule;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A rule that orders one instance of {@code 1|r_j,q_j|Cmax}: which job the server serves first, second, and so on.
 * Implementations are stateless apart from diagnostics and safe to reuse.
 */
public interface SchedulingPolicy {

    /**
     * How the online dispatcher ({@link StepDispatcher}) uses a policy when there is no step barrier and jobs keep
     * arriving (the served round, {@link RoundSimulator.Mode#PIPELINED}).
     */
    enum Online {
        /**
         * Whenever the server is idle it serves {@link #dispatch} of the jobs released so far. Right for list rules
         * (FCFS, Schrage, random), whose choice only looks at released jobs.
         */
        DISPATCH,
        /**
         * The policy plans one step's order offline (from the fleet's per-step timings) when the round opens, and the
         * server uses that plan as a priority among the waiting jobs: the earlier local step first, then the planned
         * position. It never idles for a planned job that has not arrived. Right for exact solvers, whose optimum
         * depends on future releases that an online server cannot see.
         */
        WAVE_PLAN,
        /**
         * The dispatcher tracks each device's steps left and next arrival (observed, or predicted from its timing) and
         * asks {@link CriticalPath#choose}, which may idle the server briefly for the device that ends the round.
         */
        CRITICAL_PATH,
        /** The dispatcher uses, for each round, the policy {@link BestPredicted#choose} picks when the round opens. */
        BEST_PREDICTED
    }

    /**
     * Orders {@code jobs}.
     *
     * @param jobs the instance; not modified
     * @param rng  randomness for randomised policies; deterministic policies ignore it (and accept null)
     * @return a permutation of the positions {@code 0..jobs.size()-1}, in service order
     */
    List<Integer> order(List<Job> jobs, SplittableRandom rng);

    /**
     * The online choice for {@link Online#DISPATCH}: the server has just become free and every job in {@code waiting}
     * is already released (their release times say when each arrived). Returns the position to serve next.
     *
     * <p>The default is the first job of {@link #order}, right for rules whose first pick does not depend on when the
     * machine becomes free (FCFS, random). Rules that simulate a machine from the earliest release must override it:
     * offline Schrage on these jobs would start at the earliest arrival and so pick it, which is FCFS, not Schrage.
     */
    default int dispatch(List<Job> waiting, SplittableRandom rng) {
        if (waiting.isEmpty()) {
            throw new IllegalArgumentException("dispatch needs at least one waiting job, got none");
        }
        return order(waiting, rng).get(0);
    }

    /** The name {@link Policies#of} knows this policy by. */
    String name();

    /** How the policy is used when jobs arrive online; see {@link Online}. */
    default Online online() {
        return Online.DISPATCH;
    }
}
