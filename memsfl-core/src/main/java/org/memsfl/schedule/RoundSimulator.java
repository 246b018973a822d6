package org.memsfl.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Event-driven simulation of one round: every device runs {@code I} local steps, each a job on the single server
 * (DESIGN.md section 6), under a {@link SchedulingPolicy}.
 *
 * <p>{@link Mode#SYNCHRONOUS}: all devices start step k together when the last tail of step k-1 has ended, so every
 * step is one {@code 1|r_j,q_j|Cmax} instance (the fleet's timings, shifted to the step's start) ordered by
 * {@code policy.order}; the round time is the sum of the step makespans.
 *
 * <p>{@link Mode#PIPELINED}: no barrier. Device u starts its next forward as soon as its own backward has ended, so
 * its (k+1)-th job is released at {@code C_{u,k} + q_u + r_u}. What the server does depends on
 * {@link SchedulingPolicy#online()}:
 * <ul>
 *   <li>{@code DISPATCH} (fcfs, schrage, random): whenever the server is idle it takes, among the jobs already
 *       released (or, if none, those released first), {@code policy.dispatch(released jobs)}: the earliest release
 *       for FCFS, the largest tail for Schrage (Schrage's rule run online), a uniform pick for random.
 *   <li>{@code WAVE_PLAN} (exact): "the optimal order of wave k given wave k's actual releases" is not defined
 *       online, because those releases depend on how wave k-1 is served, which is still in progress when wave k's
 *       first job arrives. So exact is defined as: solve the step instance built from the timings, {@code (r_u, p_u,
 *       q_u)}, once (Carlier), and serve wave after wave (wave k = every device's k-th job) in that order; the server
 *       never serves a job of wave k+1 before all of wave k (a barrier on the server only; devices still run ahead),
 *       and waits for the next planned job if it is not yet released. The first wave is then exactly optimal; later
 *       waves are not guaranteed to be, so PIPELINED exact can lose to an online rule, and reports show it as it is.
 * </ul>
 */
public final class RoundSimulator {

    /** Whether local steps are separated by a fleet-wide barrier. */
    public enum Mode {
        SYNCHRONOUS, PIPELINED
    }

    private RoundSimulator() {
    }

    /** {@link Mode#PIPELINED}, the mode reports use. */
    public static RoundResult simulate(List<DeviceTiming> fleet, int localSteps, SchedulingPolicy policy,
                                       SplittableRandom rng) {
        return simulate(fleet, localSteps, policy, Mode.PIPELINED, rng);
    }

    /**
     * Simulates one round.
     *
     * @param fleet      per-device step timings; device u is {@code fleet.get(u)}
     * @param localSteps I, local steps per device in the round, {@code >= 1}
     * @param policy     the server's order policy
     * @param mode       barrier or not
     * @param rng        randomness for randomised policies (may be null for deterministic ones)
     */
    public static RoundResult simulate(List<DeviceTiming> fleet, int localSteps, SchedulingPolicy policy, Mode mode,
                                       SplittableRandom rng) {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(mode, "mode");
        if (fleet.isEmpty()) {
            throw new IllegalArgumentException("fleet must have at least one device, got 0");
        }
        if (localSteps < 1) {
            throw new IllegalArgumentException("local steps must be >= 1, got " + localSteps);
        }
        for (int u = 0; u < fleet.size(); u++) {
            Objects.requireNonNull(fleet.get(u), "fleet entry " + u);
        }
        Trace trace = new Trace(fleet.size());
        double roundTime = mode == Mode.SYNCHRONOUS
                ? synchronous(fleet, localSteps, policy, rng, trace)
                : pipelined(fleet, localSteps, policy, rng, trace);
        return trace.result(policy.name(), mode, roundTime, fleet, localSteps);
    }

    private static double synchronous(List<DeviceTiming> fleet, int localSteps, SchedulingPolicy policy,
                                      SplittableRandom rng, Trace trace) {
        List<Job> jobs = stepInstance(fleet);
        double stepStart = 0;
        for (int k = 0; k < localSteps; k++) {
            // Every step is the same instance relative to its own start; the policy is asked anew each step so a
            // randomised policy draws a fresh order.
            Schedule s = Schedule.of(jobs, policy.order(jobs, rng));
            for (int j : s.order()) {
                trace.serve(j, k, stepStart + jobs.get(j).release(), stepStart + s.startOf(j),
                        stepStart + s.completionOf(j));
            }
            stepStart += s.makespan();
        }
        return stepStart;
    }

    private static double pipelined(List<DeviceTiming> fleet, int localSteps, SchedulingPolicy policy,
                                    SplittableRandom rng, Trace trace) {
        int devices = fleet.size();
        double[] release = new double[devices];
        int[] served = new int[devices];
        for (int u = 0; u < devices; u++) {
            release[u] = fleet.get(u).release(); // every device starts its first forward at time 0
        }
        List<Integer> plan = policy.online() == SchedulingPolicy.Online.WAVE_PLAN
                ? policy.order(stepInstance(fleet), rng)
                : null;
        double t = 0;
        double roundTime = 0;
        for (int n = 0; n < devices * localSteps; n++) {
            int u = plan != null ? plan.get(n % devices) : dispatch(fleet, localSteps, policy, rng, release, served, t);
            DeviceTiming d = fleet.get(u);
            double start = Math.max(t, release[u]);
            double end = start + d.processing();
            trace.serve(u, served[u], release[u], start, end);
            t = end;
            double backwardDone = end + d.tail();
            roundTime = Math.max(roundTime, backwardDone);
            served[u]++;
            release[u] = backwardDone + d.release(); // next forward starts right after this backward
        }
        return roundTime;
    }

    /** The device whose job the server takes when it becomes idle at {@code t}. */
    private static int dispatch(List<DeviceTiming> fleet, int localSteps, SchedulingPolicy policy,
                                SplittableRandom rng, double[] release, int[] served, double t) {
        double earliest = Double.POSITIVE_INFINITY;
        for (int u = 0; u < fleet.size(); u++) {
            if (served[u] < localSteps) {
                earliest = Math.min(earliest, release[u]);
            }
        }
        // Nothing released yet: the server idles until the first release and chooses among the jobs released then.
        double now = Math.max(t, earliest);
        List<Integer> devices = new ArrayList<>();
        List<Job> released = new ArrayList<>();
        for (int u = 0; u < fleet.size(); u++) {
            if (served[u] < localSteps && release[u] <= now) {
                DeviceTiming d = fleet.get(u);
                devices.add(u);
                released.add(new Job(u, release[u], d.processing(), d.tail()));
            }
        }
        return devices.get(policy.dispatch(released, rng));
    }

    /** One synchronous step's instance from the timings: job u is device u, released r_u after the step starts. */
    static List<Job> stepInstance(List<DeviceTiming> fleet) {
        List<Job> jobs = new ArrayList<>(fleet.size());
        for (int u = 0; u < fleet.size(); u++) {
            jobs.add(fleet.get(u).job(u));
        }
        return jobs;
    }

    /** Collects slots and per-device waiting while a round runs. */
    private static final class Trace {
        final List<ServerSlot> slots = new ArrayList<>();
        final double[] queueing;

        Trace(int devices) {
            queueing = new double[devices];
        }

        void serve(int device, int step, double released, double start, double end) {
            slots.add(new ServerSlot(device, step, start, end));
            queueing[device] += start - released;
        }

        RoundResult result(String policy, Mode mode, double roundTime, List<DeviceTiming> fleet, int localSteps) {
            List<Double> idle = new ArrayList<>(fleet.size());
            List<Double> waiting = new ArrayList<>(fleet.size());
            for (int u = 0; u < fleet.size(); u++) {
                // Rounding can leave -1e-16 where a device is never idle; idle time is not negative.
                idle.add(Math.max(0, roundTime - localSteps * fleet.get(u).deviceBusy()));
                waiting.add(queueing[u]);
            }
            double busy = 0;
            for (ServerSlot s : slots) {
                busy += s.duration();
            }
            return new RoundResult(policy, mode, roundTime, slots, idle, waiting,
                    roundTime > 0 ? Math.min(1, busy / roundTime) : 0);
        }
    }
}
