package org.memsfl.sim.timing;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.memsfl.schedule.Policies;
import org.memsfl.schedule.RoundResult;

/**
 * The paper's time claim at one fleet and shape (arXiv 2506.02940, section on scheduling): memsfl's round time with its
 * sequential server under the configured scheduler, against the same server in FCFS order and against SFL-V1's
 * parallel server (processor sharing over every device's job). All figures are the delay model's seconds per round,
 * adapter exchange included, so they are deterministic. Where the server is seldom busy (paper-5: about 1%) the three
 * coincide; the order of a sequential server only matters where the server is the bottleneck.
 *
 * @param fleet      fleet name
 * @param model      the shape the times are modeled at
 * @param scheduler  memsfl's scheduling policy; for {@code best}, also the one it picks here ({@code "best = critical"})
 * @param memsfl     memsfl's round time under {@code scheduler}, seconds
 * @param fcfs       memsfl's round time serving steps in arrival order, seconds
 * @param sflV1      SFL-V1's round time (parallel, processor sharing), seconds
 * @param serverBusy the sequential server's busy fraction of the FCFS round, in [0, 1]
 * @param bound      no server order gives memsfl a shorter round: the slowest device's steps back to back, never
 *                   queueing ({@link org.memsfl.schedule.CriticalPath#chainBound}), plus the exchange, seconds
 * @param memsflNoRecompute memsfl's round under {@code scheduler} with a server that keeps its activations (the method
 *                   as published; the same as {@code memsfl} when the run does not recompute), seconds
 * @param fcfsNoRecompute the same server without recompute in FCFS order, seconds
 */
public record RoundTimeComparison(String fleet, String model, String scheduler, double memsfl, double fcfs,
                                  double sflV1, double serverBusy, double bound, double memsflNoRecompute,
                                  double fcfsNoRecompute) {

    public RoundTimeComparison {
        if (!(memsfl > 0 && fcfs > 0 && sflV1 > 0 && bound > 0 && memsflNoRecompute > 0 && fcfsNoRecompute > 0)) {
            throw new IllegalArgumentException("round times must be > 0, got memsfl " + memsfl + ", fcfs " + fcfs
                    + ", sfl-v1 " + sflV1 + ", bound " + bound + ", memsfl without recompute " + memsflNoRecompute);
        }
    }

    /**
     * @param clock     the delay model's clock at the shape and fleet
     * @param cuts      each device's cut at that shape
     * @param recompute memsfl's server recomputes its layers (priced in its server time)
     */
    public static RoundTimeComparison of(RoundClock clock, Map<String, Integer> cuts, String fleet, String model,
                                         String scheduler, boolean recompute) {
        RoundResult fcfsRound = clock.sequential(cuts, Policies.of("fcfs"), recompute);
        double bound = org.memsfl.schedule.CriticalPath.chainBound(clock.timings(cuts, recompute), clock.localSteps())
                + clock.exchange(cuts);
        String shown = scheduler.equals(org.memsfl.schedule.BestPredicted.NAME) ? scheduler + " = "
                + org.memsfl.schedule.BestPredicted.choose(clock.timings(cuts, recompute), clock.localSteps()).name()
                : scheduler;
        return new RoundTimeComparison(fleet, model, shown, clock.sequentialRound(cuts, scheduler, recompute),
                clock.sequentialRound(cuts, "fcfs", recompute), clock.parallelRound(cuts),
                fcfsRound.serverBusyFraction(), bound, clock.sequentialRound(cuts, scheduler, false),
                clock.sequentialRound(cuts, "fcfs", false));
    }

    /** How much shorter memsfl's round without server recompute is than FCFS order's, both without (negative: longer). */
    public double noRecomputeShorterThanFcfs() {
        return 1 - memsflNoRecompute / fcfsNoRecompute;
    }

    /** How much shorter memsfl's round without server recompute is than SFL-V1's (negative when longer). */
    public double noRecomputeShorterThanSflV1() {
        return 1 - memsflNoRecompute / sflV1;
    }

    /** How much shorter memsfl's round is than FCFS order: 1 - memsfl / fcfs (negative when longer). */
    public double shorterThanFcfs() {
        return 1 - memsfl / fcfs;
    }

    /** How much shorter memsfl's round is than SFL-V1's: 1 - memsfl / sfl-v1 (negative when longer). */
    public double shorterThanSflV1() {
        return 1 - memsfl / sflV1;
    }

    /** One line for the console. */
    public String line() {
        String line = String.format(Locale.ROOT, "%s at %s (server %.0f%% busy): memsfl (%s) %.1f s per round; FCFS"
                        + " %.1f s (memsfl %s); sfl-v1 %.1f s (memsfl %s); no order beats %.1f s (the slowest device's"
                        + " steps back to back)", fleet, model, 100 * serverBusy, scheduler, memsfl,
                fcfs, relative(shorterThanFcfs()), sflV1, relative(shorterThanSflV1()), bound);
        if (memsflNoRecompute != memsfl) {
            line += String.format(Locale.ROOT, "; without server recompute memsfl %.1f s (%s than FCFS, %s than"
                    + " sfl-v1)", memsflNoRecompute, relative(noRecomputeShorterThanFcfs()),
                    relative(noRecomputeShorterThanSflV1()));
        }
        return line;
    }

    /** "12.3% shorter", or "0.2% longer" for a negative gain. */
    static String relative(double shorter) {
        return String.format(Locale.ROOT, "%.1f%% %s", 100 * Math.abs(shorter), shorter < 0 ? "longer" : "shorter");
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fleet", fleet);
        m.put("model", model);
        m.put("scheduler", scheduler);
        m.put("server_busy_fraction", serverBusy);
        m.put("memsfl_round_s", memsfl);
        m.put("fcfs_round_s", fcfs);
        m.put("sfl_v1_round_s", sflV1);
        m.put("shorter_than_fcfs", shorterThanFcfs());
        m.put("shorter_than_sfl_v1", shorterThanSflV1());
        m.put("bound_s", bound);
        m.put("memsfl_no_recompute_round_s", memsflNoRecompute);
        m.put("no_recompute_shorter_than_sfl_v1", noRecomputeShorterThanSflV1());
        m.put("fcfs_no_recompute_round_s", fcfsNoRecompute);
        m.put("no_recompute_shorter_than_fcfs", noRecomputeShorterThanFcfs());
        return m;
    }
}
