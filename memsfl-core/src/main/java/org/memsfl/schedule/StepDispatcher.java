package org.memsfl.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.memsfl.engine.Rng;

/**
 * The local steps that have arrived at the server and wait for it, and the scheduler's choice of which to serve
 * next. The one online dispatcher of the system: the gRPC edge server feeds it real arrivals, and the simulator
 * ({@link RoundSimulator#serve}) the predicted ones, whose order it then serves its real training steps in; both record
 * the order it serves (DESIGN.md section 1: one device at a time, in an order a scheduler picks). Each time the server
 * becomes free it asks {@link #next()}; the policy sees every waiting step as a job of {@code 1|r_j,q_j|Cmax} whose
 * release is its arrival time and whose server time and tail (gradient download plus device backward) the delay model
 * predicts from the device's registered profile.
 *
 * <ul>
 *   <li>{@code fcfs}, {@code random}, {@code schrage}: the policy's online dispatch rule over the waiting steps
 *       (Schrage: the longest tail first).</li>
 *   <li>{@code exact}: Carlier's optimal order of one step of the whole fleet, computed from the predicted timings
 *       when the round opens, used as a priority among waiting steps (the earlier local step first, then the planned
 *       position). The server never idles for a device that has not arrived: a real device may be late or gone.</li>
 *   <li>{@code best}: {@link BestPredicted}: when the round opens, the one of the others whose predicted round is
 *       shortest, used for the whole round.</li>
 *   <li>{@code critical}: {@link CriticalPath}: longest remaining tail first, and the server may idle briefly before
 *       the predicted arrival of the device whose remaining chain ends the round, when a one-step lookahead says
 *       that ends the round sooner ({@link #next(double)} returns null and {@link #idleUntil()} says until when),
 *       never past it.</li>
 * </ul>
 *
 * <p>Not thread-safe: the edge server calls it from its one worker thread. The random policy draws from a stream
 * seeded per round from (seed, round).
 *
 * @param <T> what the server needs to run a step
 */
public final class StepDispatcher<T> {

    /** One waiting step. */
    public record Waiting<T>(String deviceId, int localStep, double arrivalSeconds, T work) {
    }

    private final SchedulingPolicy policy;
    /** The policy this round dispatches with: {@link #policy}, or the one {@code best} chose when the round opened. */
    private SchedulingPolicy active;
    private final long seed;
    private final List<Waiting<T>> waiting = new ArrayList<>();
    private Map<String, DeviceTiming> timings = Map.of();
    private Map<String, Integer> plannedRank = Map.of();
    private SplittableRandom rng;
    private int localSteps = 1;
    private final Map<String, Integer> served = new java.util.HashMap<>();
    private final Map<String, Double> predicted = new java.util.HashMap<>();
    private double idleUntil = Double.POSITIVE_INFINITY;

    public StepDispatcher(SchedulingPolicy policy, long seed) {
        this.policy = policy;
        this.active = policy;
        this.seed = seed;
        this.rng = new SplittableRandom(Rng.seed(seed, "server/dispatch", 0));
    }

    /** As {@link #beginRound(int, Map, int)} for a round of one local step per device. */
    public void beginRound(int round, Map<String, DeviceTiming> timingsByDevice) {
        beginRound(round, timingsByDevice, 1);
    }

    /**
     * A round opens: the predicted timings of the devices in it (in registration order; a device starts its first
     * forward when the round opens), the local steps each device runs, and a fresh random stream.
     */
    public void beginRound(int round, Map<String, DeviceTiming> timingsByDevice, int localSteps) {
        if (localSteps < 1) {
            throw new IllegalArgumentException("localSteps must be >= 1, got " + localSteps);
        }
        this.localSteps = localSteps;
        served.clear();
        predicted.clear();
        idleUntil = Double.POSITIVE_INFINITY;
        timings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(timingsByDevice));
        active = policy.online() == SchedulingPolicy.Online.BEST_PREDICTED
                ? BestPredicted.choose(new ArrayList<>(timings.values()), localSteps) : policy;
        rng = new SplittableRandom(Rng.seed(seed, "server/dispatch", round));
        plannedRank = Map.of();
        if (active.online() == SchedulingPolicy.Online.WAVE_PLAN) {
            List<String> ids = new ArrayList<>(timingsByDevice.keySet());
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                DeviceTiming t = timingsByDevice.get(ids.get(i));
                jobs.add(new Job(i, t.release(), t.server(), t.tail()));
            }
            List<Integer> order = active.order(jobs, rng);
            java.util.Map<String, Integer> rank = new java.util.HashMap<>();
            for (int k = 0; k < order.size(); k++) {
                rank.put(ids.get(order.get(k)), k);
            }
            plannedRank = Map.copyOf(rank);
        }
    }

    public void add(Waiting<T> w) {
        waiting.add(w);
    }

    /** True when no step waits. */
    public boolean isEmpty() {
        return waiting.isEmpty();
    }

    /** True while a step of {@code deviceId} waits. */
    public boolean holds(String deviceId) {
        return waiting.stream().anyMatch(w -> w.deviceId().equals(deviceId));
    }

    /** Removes and returns every waiting step of {@code deviceId} (a device that restarted), in arrival order. */
    public List<Waiting<T>> remove(String deviceId) {
        List<Waiting<T>> out = new ArrayList<>();
        waiting.removeIf(w -> w.deviceId().equals(deviceId) && out.add(w));
        return out;
    }

    /**
     * Removes and returns the step to serve now; null when none waits, or when the policy idles the server
     * ({@code critical} only; then {@link #idleUntil()} says when to ask again unless a step arrives first).
     *
     * @param now seconds since the round opened, the clock of {@link Waiting#arrivalSeconds()}
     */
    public Waiting<T> next(double now) {
        idleUntil = Double.POSITIVE_INFINITY;
        if (waiting.isEmpty()) {
            return null;
        }
        int pick;
        if (active.online() == SchedulingPolicy.Online.CRITICAL_PATH) {
            pick = critical(now);
            if (pick < 0) {
                return null;
            }
        } else if (active.online() == SchedulingPolicy.Online.WAVE_PLAN) {
            pick = 0;
            for (int i = 1; i < waiting.size(); i++) {
                if (priority(waiting.get(i)) < priority(waiting.get(pick))) {
                    pick = i;
                }
            }
        } else {
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < waiting.size(); i++) {
                Waiting<T> w = waiting.get(i);
                DeviceTiming t = timings.get(w.deviceId());
                double server = t == null ? 0 : t.server();
                double tail = t == null ? 0 : t.tail();
                jobs.add(new Job(i, w.arrivalSeconds(), server, tail));
            }
            pick = active.dispatch(jobs, rng);
        }
        Waiting<T> w = waiting.remove(pick);
        // its next step: after this one's server time, downlink, backward, the next forward and uplink
        DeviceTiming t = timings.get(w.deviceId());
        served.merge(w.deviceId(), 1, Integer::sum);
        predicted.put(w.deviceId(), t == null ? now : Math.max(now, w.arrivalSeconds()) + t.processing() + t.tail()
                + t.release());
        return w;
    }

    /** The policy this round dispatches with (for {@code best}: the one it chose when the round opened). */
    public String activePolicy() {
        return active.name();
    }

    /**
     * When {@link #next(double)} last returned null with steps waiting: the time (seconds since the round opened) to
     * ask again if no step arrives first; {@link Double#POSITIVE_INFINITY}: at the next arrival.
     */
    public double idleUntil() {
        return idleUntil;
    }

    /** {@link CriticalPath#choose} over the round's devices; the position in {@link #waiting} to serve, or -1. */
    private int critical(double now) {
        List<String> ids = new ArrayList<>(timings.keySet());
        for (Waiting<T> w : waiting) {
            if (!timings.containsKey(w.deviceId()) && !ids.contains(w.deviceId())) {
                ids.add(w.deviceId()); // a device without predicted timings: no chain, served when nothing else is
            }
        }
        List<CriticalPath.Lane> lanes = new ArrayList<>();
        List<Integer> firstWaiting = new ArrayList<>();
        for (String id : ids) {
            int at = -1;
            for (int i = 0; i < waiting.size(); i++) {
                Waiting<T> w = waiting.get(i);
                if (w.deviceId().equals(id) && (at < 0 || w.localStep() < waiting.get(at).localStep())) {
                    at = i;
                }
            }
            DeviceTiming t = timings.getOrDefault(id, new DeviceTiming(0, 0, 0, 0, 0));
            int left = localSteps - served.getOrDefault(id, 0);
            if (at >= 0) {
                lanes.add(new CriticalPath.Lane(waiting.get(at).arrivalSeconds(), true, Math.max(1, left), t));
            } else {
                lanes.add(new CriticalPath.Lane(predicted.getOrDefault(id, t.release()), false, Math.max(0, left), t));
            }
            firstWaiting.add(at);
        }
        CriticalPath.Choice c = CriticalPath.choose(now, lanes);
        if (c.serve() < 0) {
            idleUntil = c.idleUntil();
            return -1;
        }
        return firstWaiting.get(c.serve());
    }

    /** Planned position, then earlier local step, then arrival: a late device keeps its place in the next wave. */
    private double priority(Waiting<T> w) {
        int rank = plannedRank.getOrDefault(w.deviceId(), Integer.MAX_VALUE / 2);
        return (double) w.localStep() * 1_000_000 + rank + w.arrivalSeconds() * 1e-9;
    }
}
