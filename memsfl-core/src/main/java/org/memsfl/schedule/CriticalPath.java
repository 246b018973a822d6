package org.memsfl.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Critical-path dispatch for a round of local steps on one server: keep the device whose remaining chain of steps is
 * longest (the one that ends the round) from waiting, and fill the server's gaps before it arrives with steps that
 * finish in time.
 *
 * <p>Each device u with {@code s_u} steps left, next at the server at {@code a_u} (its arrival, or when it is
 * predicted), can finish no earlier than {@code rem_u = max(a_u, now) + K_u} with the chain
 * {@code K_u = s_u (p_u + q_u) + (s_u - 1) r_u} (r: forward and uplink, p: server time, q: downlink and backward). A
 * round is never shorter than {@code max_u rem_u} at its start: that is {@link #chainBound}. Among waiting steps the
 * one with the longest tail to go, {@code K_u - p_u}, comes first (Schrage's rule, over the whole remaining chain).
 * When the server is free at {@code now}, let c be the device of largest {@code rem}:
 * <ol>
 *   <li>c's step has arrived, or c is late (predicted by now, not arrived: a real device may be slow or gone): serve
 *       the waiting step with the longest tail to go. The server never waits past a prediction.</li>
 *   <li>c is predicted later than now: serve the waiting step with the longest tail to go among those that end by
 *       {@code a_c} ({@code now + p_j <= a_c}), so c does not wait for it.</li>
 *   <li>none ends in time: idle until {@code a_c} (or an earlier predicted arrival whose step would end by then) only
 *       if a one-step lookahead says so: idling (c at {@code a_c}, then every waiting step) must end earlier than
 *       serving the longest-tail waiting step now (c after it). Otherwise serve that step. An idle is shorter than any
 *       waiting step's server time.</li>
 * </ol>
 * On the busy-server fleet at the gpt2-medium shape this reaches {@link #chainBound} (phone-low never waits), where
 * rules that never idle leave the slowest device queueing behind faster ones. It is a heuristic: on random fleets it
 * is sometimes longer than FCFS, which {@link BestPredicted} guards against. Ties go to the lower device index. For
 * one step per device ({@link #order}) it is the same rule on a single wave.
 *
 * <p>Source: list scheduling with inserted idle time before a job due soon (Kanet and Sridharan, "Scheduling with
 * inserted idle time: problem taxonomy and literature review", Operations Research 48(1), 2000), applied to memsfl's
 * round of {@code 1|r_j,q_j|Cmax} instances chained per device.
 */
public final class CriticalPath implements SchedulingPolicy {

    public static final String NAME = "critical";

    /**
     * One device when the server is free.
     *
     * @param arrival   when its next step arrived ({@code arrived}) or is predicted to, seconds since the round opened
     * @param arrived   its next step waits at the server
     * @param stepsLeft its steps not yet served this round, the waiting one included; 0: done
     * @param timing    its predicted per-step timing
     */
    public record Lane(double arrival, boolean arrived, int stepsLeft, DeviceTiming timing) {
    }

    /**
     * The choice: {@code serve} is the lane to serve now, or -1 to idle until {@code idleUntil} (seconds since the round
     * opened; an arrival before then also ends the idle).
     */
    public record Choice(int serve, double idleUntil) {
    }

    @Override
    public List<Integer> order(List<Job> jobs, SplittableRandom rng) {
        int n = jobs.size();
        List<Integer> out = new ArrayList<>();
        boolean[] done = new boolean[n];
        double now = 0;
        while (out.size() < n) {
            List<Lane> lanes = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                Job job = jobs.get(j);
                DeviceTiming t = new DeviceTiming(job.release(), 0, job.processing(), job.tail(), 0);
                lanes.add(new Lane(job.release(), !done[j] && job.release() <= now, done[j] ? 0 : 1, t));
            }
            Choice c = choose(now, lanes);
            if (c.serve() < 0) {
                double next = Double.POSITIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    if (!done[j] && jobs.get(j).release() > now) {
                        next = Math.min(next, jobs.get(j).release());
                    }
                }
                now = Math.min(c.idleUntil(), next);
                continue;
            }
            done[c.serve()] = true;
            out.add(c.serve());
            now += jobs.get(c.serve()).processing();
        }
        return out;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Online online() {
        return Online.CRITICAL_PATH;
    }

    /**
     * The rule of the class comment.
     *
     * @param now   seconds since the round opened; the server is free
     * @param lanes every device of the round, in a fixed order (ties go to the lower index)
     * @return a lane that has arrived and has steps left, or -1 with the time to ask again
     *         ({@link Double#POSITIVE_INFINITY}: at the next arrival)
     */
    public static Choice choose(double now, List<Lane> lanes) {
        int critical = -1;
        double worst = Double.NEGATIVE_INFINITY;
        int bestArrived = -1; // the waiting step with the longest tail to go
        double longestTail = Double.NEGATIVE_INFINITY;
        for (int u = 0; u < lanes.size(); u++) {
            Lane l = lanes.get(u);
            if (l.stepsLeft() <= 0) {
                continue;
            }
            double rem = remaining(l, now);
            if (rem > worst) {
                worst = rem;
                critical = u;
            }
            if (l.arrived() && tailToGo(l) > longestTail) {
                longestTail = tailToGo(l);
                bestArrived = u;
            }
        }
        if (critical < 0 || bestArrived < 0) {
            // nothing left, or nothing waits: idle until the next arrival
            return new Choice(-1, Double.POSITIVE_INFINITY);
        }
        Lane c = lanes.get(critical);
        if (c.arrived() || c.arrival() <= now) {
            return new Choice(bestArrived, now); // c waits, or is late past its prediction: never wait for it
        }
        int fitting = -1;
        double fittingTail = Double.NEGATIVE_INFINITY;
        // the two choices' ends, over c and the waiting devices: idle (c first at its arrival, every waiting step
        // after it) against serving the longest-tail waiting step now (c after it)
        Lane b = lanes.get(bestArrived);
        double idleEnd = c.arrival() + chain(c);
        double serveEnd = Math.max(now + chain(b), now + b.timing().processing() + chain(c));
        for (int u = 0; u < lanes.size(); u++) {
            Lane l = lanes.get(u);
            if (l.stepsLeft() <= 0 || !l.arrived()) {
                continue;
            }
            if (now + l.timing().processing() <= c.arrival() && tailToGo(l) > fittingTail) {
                fittingTail = tailToGo(l);
                fitting = u;
            }
            idleEnd = Math.max(idleEnd, c.arrival() + c.timing().processing() + chain(l));
            if (u != bestArrived) {
                serveEnd = Math.max(serveEnd, now + b.timing().processing() + chain(l));
            }
        }
        if (fitting >= 0) {
            return new Choice(fitting, now);
        }
        if (idleEnd >= serveEnd) {
            return new Choice(bestArrived, now);
        }
        double until = c.arrival();
        for (Lane l : lanes) {
            if (l.stepsLeft() > 0 && !l.arrived() && l.arrival() > now
                    && l.arrival() + l.timing().processing() <= c.arrival()) {
                until = Math.min(until, l.arrival());
            }
        }
        return new Choice(-1, until);
    }

    /**
     * A lower bound on a round's time from its start: the longest device chain, each device's steps back to back with
     * no queueing ({@code max_u I (r_u + p_u + q_u)}). No server order can beat it.
     */
    public static double chainBound(List<DeviceTiming> fleet, int localSteps) {
        double bound = 0;
        for (DeviceTiming t : fleet) {
            bound = Math.max(bound, localSteps * (t.release() + t.processing() + t.tail()));
        }
        return bound;
    }

    private static double remaining(Lane l, double now) {
        return Math.max(l.arrival(), now) + chain(l);
    }

    /** What remains of the lane's chain once the server has served its waiting step: K - p (Schrage's tail). */
    private static double tailToGo(Lane l) {
        return chain(l) - l.timing().processing();
    }

    /** K: the lane's remaining steps back to back, from its next step's arrival at the server to its last backward. */
    private static double chain(Lane l) {
        DeviceTiming t = l.timing();
        int s = l.stepsLeft();
        return s * (t.processing() + t.tail()) + (s - 1) * t.release();
    }
}
