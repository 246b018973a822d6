package org.memsfl.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The best of the deterministic policies for the round ahead: when a round opens, the round is simulated with the
 * devices' predicted timings under {@code exact}, {@code critical}, {@code schrage} and {@code fcfs}
 * ({@link RoundSimulator#simulate}, the same served round the simulator runs), and the server dispatches the whole
 * round with the one whose round is shortest (ties: the earlier in that list). So in the delay model, when every device
 * whose timings the round opens with takes part, a round is never longer than under any of them: on
 * {@code paper-5-busy-server} it is {@code critical}'s, which reaches the chain bound there, and where
 * {@code critical}'s idling does not pay (it was longer than FCFS on a fifth of random fleets) it is another's. A
 * device that sits the round out still counts in the prediction, so the choice may then not be the shortest; on the
 * edge server the choice is made from predictions, and real arrivals may differ.
 *
 * <p>For one step of jobs ({@link #order}) it is the candidate whose order has the smallest makespan.
 */
public final class BestPredicted implements SchedulingPolicy {

    public static final String NAME = "best";
    /** The candidates, in tie order. */
    public static final List<String> CANDIDATES = List.of(Carlier.NAME, CriticalPath.NAME, Schrage.NAME, Fcfs.NAME);

    @Override
    public List<Integer> order(List<Job> jobs, SplittableRandom rng) {
        List<Integer> best = null;
        double shortest = Double.POSITIVE_INFINITY;
        for (String name : CANDIDATES) {
            List<Integer> order = Policies.of(name).order(jobs, rng);
            double makespan = Schedule.of(jobs, order).makespan();
            if (makespan < shortest) {
                shortest = makespan;
                best = order;
            }
        }
        return best;
    }

    /**
     * The candidate whose simulated round is shortest.
     *
     * @param timings    the devices' predicted per-step timings, in the dispatcher's device order
     * @param localSteps local steps per device, {@code >= 1}
     */
    public static SchedulingPolicy choose(List<DeviceTiming> timings, int localSteps) {
        SchedulingPolicy best = Policies.of(CANDIDATES.get(0));
        if (timings.isEmpty()) {
            return best;
        }
        double shortest = Double.POSITIVE_INFINITY;
        for (String name : CANDIDATES) {
            SchedulingPolicy p = Policies.of(name);
            double t = RoundSimulator.simulate(new ArrayList<>(timings), localSteps, p, null).roundTime();
            if (t < shortest) {
                shortest = t;
                best = p;
            }
        }
        return best;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Online online() {
        return Online.BEST_PREDICTED;
    }
}
