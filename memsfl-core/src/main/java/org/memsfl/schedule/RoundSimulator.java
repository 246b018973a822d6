package org.memsfl.schedule;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Event-driven simulation of one round: every device runs {@code I} local steps, each a job on the single server
 * (DESIGN.md section 6), under a {@link SchedulingPolicy}.
 *
 * <p>{@link Mode#PIPELINED}, the served round: no barrier. Device u starts its next forward as soon as its own
 * backward has ended, so its (k+1)-th step arrives at {@code C_{u,k} + q_u + r_u}. The server's choices are those of
 * the one online dispatcher of the system, {@link StepDispatcher}, which the edge server asks with real arrivals: steps
 * arrive at their predicted release times, and whenever the server is free it asks the dispatcher among the steps that
 * HAVE arrived, idling until the next arrival only when none has ({@link #serve}). So {@code exact} here means what it
 * means on the edge server: Carlier's optimal order of one predicted step, used as a priority among waiting steps (the
 * earlier local step first, then the planned position); the server never idles for a planned step that has not
 * arrived. {@code critical} ({@link CriticalPath}) may idle the server until the predicted arrival of the device that
 * ends the round; the loop then moves to that time, or to an earlier arrival. The simulator serves its real training
 * steps in exactly this order.
 *
 * <p>{@link Mode#SYNCHRONOUS} is a different model, not the dispatcher of a served round: all devices start step k
 * together when the last tail of step k-1 has ended, so every step is one {@code 1|r_j,q_j|Cmax} instance (the fleet's
 * timings, shifted to the step's start) ordered offline by {@code policy.order}; the round time is the sum of the step
 * makespans. The schedule study reports it beside the pipelined round, as the bound a step barrier would give.
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
     * Simulates one round of a fleet named by position (device u is {@code fleet.get(u)}, named {@code "u"}).
     *
     * @param fleet      per-device step timings
     * @param localSteps I, local steps per device in the round, {@code >= 1}
     * @param policy     the server's order policy
     * @param mode       barrier or not
     * @param rng        randomness for randomised policies (may be null for deterministic ones); PIPELINED seeds the
     *                   dispatcher's stream with its next long, so distinct generators give distinct random rounds
     */
    public static RoundResult simulate(List<DeviceTiming> fleet, int localSteps, SchedulingPolicy policy, Mode mode,
                                       SplittableRandom rng) {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(mode, "mode");
        checkRound(fleet.size(), localSteps);
        Map<String, DeviceTiming> named = new LinkedHashMap<>();
        for (int u = 0; u < fleet.size(); u++) {
            named.put(Integer.toString(u), Objects.requireNonNull(fleet.get(u), "fleet entry " + u));
        }
        if (mode == Mode.PIPELINED) {
            StepDispatcher<Void> dispatcher = new StepDispatcher<>(policy, rng == null ? 0 : rng.nextLong());
            dispatcher.beginRound(1, named, localSteps);
            return serve(named, localSteps, dispatcher, policy.name());
        }
        Trace trace = new Trace(named.keySet());
        double roundTime = synchronous(fleet, localSteps, policy, rng, trace);
        return trace.result(policy.name(), mode, roundTime, fleet, localSteps);
    }

    /**
     * The served round ({@link Mode#PIPELINED}) under {@code dispatcher}: a discrete-event loop in which each device's
     * step arrives at its predicted release and, whenever the server is free, the dispatcher picks among the steps
     * that have arrived (arrivals at the same instant reach it in device order); when none has, the server idles until
     * the next arrival. Each device's steps stay in order; devices interleave (a fast device's step 2 may come before a
     * slow device's step 1).
     *
     * @param fleet      the devices in the round and their predicted timings, in registration order (slot device u is
     *                   the u-th key, {@link RoundResult#devices()})
     * @param localSteps I, local steps per device, {@code >= 1}
     * @param dispatcher the server's dispatcher, its round begun ({@link StepDispatcher#beginRound}, with the timings of
     *                   every registered device, as the edge server begins it) and nothing waiting in it
     * @param policy     the policy's name, for the result
     */
    public static RoundResult serve(Map<String, DeviceTiming> fleet, int localSteps, StepDispatcher<Void> dispatcher,
                                    String policy) {
        Objects.requireNonNull(dispatcher, "dispatcher");
        checkRound(fleet.size(), localSteps);
        if (!dispatcher.isEmpty()) {
            throw new IllegalArgumentException("the dispatcher must start the round empty");
        }
        List<String> ids = new ArrayList<>(fleet.keySet());
        List<DeviceTiming> timings = new ArrayList<>(fleet.values());
        int devices = ids.size();
        Map<String, Integer> index = new HashMap<>();
        double[] release = new double[devices];
        int[] nextStep = new int[devices];   // 0-based local step that arrives next
        boolean[] waiting = new boolean[devices];
        for (int u = 0; u < devices; u++) {
            index.put(ids.get(u), u);
            release[u] = timings.get(u).release(); // every device starts its first forward at time 0
        }
        Trace trace = new Trace(ids);
        double t = 0;
        double roundTime = 0;
        for (int n = 0; n < devices * localSteps; ) {
            arrive(t, ids, release, nextStep, waiting, localSteps, dispatcher);
            if (noneWaiting(waiting)) {
                // nothing has arrived: the server idles until the next arrival
                t = nextArrival(release, nextStep, waiting, localSteps, Double.NEGATIVE_INFINITY);
                arrive(t, ids, release, nextStep, waiting, localSteps, dispatcher);
            }
            StepDispatcher.Waiting<Void> w = dispatcher.next(t);
            if (w == null) {
                // the policy idles the server (critical path): until it asks, or an arrival comes first
                double until = Math.min(dispatcher.idleUntil(), nextArrival(release, nextStep, waiting, localSteps, t));
                if (!(until > t) || Double.isInfinite(until)) {
                    throw new IllegalStateException(dispatcher.getClass().getSimpleName() + " idled at " + t
                            + " s with nothing to wait for");
                }
                t = until;
                continue;
            }
            n++;
            int u = index.get(w.deviceId());
            DeviceTiming d = timings.get(u);
            double end = t + d.processing();
            trace.serve(u, nextStep[u], release[u], t, end);
            t = end;
            double backwardDone = end + d.tail();
            roundTime = Math.max(roundTime, backwardDone);
            waiting[u] = false;
            nextStep[u]++;
            release[u] = backwardDone + d.release(); // next forward starts right after this backward
        }
        return trace.result(policy, Mode.PIPELINED, roundTime, timings, localSteps);
    }

    /** Hands the dispatcher every step released by {@code t} that it does not hold yet, by release then device. */
    private static void arrive(double t, List<String> ids, double[] release, int[] nextStep, boolean[] waiting,
                              int localSteps, StepDispatcher<Void> dispatcher) {
        List<Integer> now = new ArrayList<>();
        for (int u = 0; u < ids.size(); u++) {
            if (!waiting[u] && nextStep[u] < localSteps && release[u] <= t) {
                now.add(u);
            }
        }
        now.sort(Comparator.<Integer>comparingDouble(u -> release[u]).thenComparingInt(u -> u));
        for (int u : now) {
            waiting[u] = true;
            // local steps counted from 1, as devices number them on the wire
            dispatcher.add(new StepDispatcher.Waiting<>(ids.get(u), nextStep[u] + 1, release[u], null));
        }
    }

    /** The earliest release after {@code after} of a device with a step still to come that is not waiting. */
    private static double nextArrival(double[] release, int[] nextStep, boolean[] waiting, int localSteps, double after) {
        double earliest = Double.POSITIVE_INFINITY;
        for (int u = 0; u < release.length; u++) {
            if (!waiting[u] && nextStep[u] < localSteps && release[u] > after) {
                earliest = Math.min(earliest, release[u]);
            }
        }
        return earliest;
    }

    private static boolean noneWaiting(boolean[] waiting) {
        for (boolean w : waiting) {
            if (w) {
                return false;
            }
        }
        return true;
    }

    private static void checkRound(int devices, int localSteps) {
        if (devices == 0) {
            throw new IllegalArgumentException("fleet must have at least one device, got 0");
        }
        if (localSteps < 1) {
            throw new IllegalArgumentException("local steps must be >= 1, got " + localSteps);
        }
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
        final List<String> devices;
        final List<ServerSlot> slots = new ArrayList<>();
        final double[] queueing;

        Trace(java.util.Collection<String> devices) {
            this.devices = List.copyOf(devices);
            queueing = new double[devices.size()];
        }

        void serve(int device, int step, double released, double start, double end) {
            slots.add(new ServerSlot(device, step, released, start, end));
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
            return new RoundResult(policy, mode, roundTime, devices, slots, idle, waiting,
                    roundTime > 0 ? Math.min(1, busy / roundTime) : 0);
        }
    }
}
