package org.memsfl.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.memsfl.schedule.RoundSimulator.Mode;

/** Whole rounds: hand-computed two-device rounds, a single device, invariants on random fleets, and seeding. */
class RoundSimulatorTest {

    /**
     * Device 0: r = 1 + 1 = 2, p = 2, q = 1 + 3 = 4 (slow backward). Device 1: r = 0.5 + 0.5 = 1, p = 3,
     * q = 0.5 + 0.5 = 1. Device 1 is released first but device 0 has the long tail: FCFS and Schrage serve 1 first
     * (nothing else is released at time 1), the optimum waits for device 0.
     */
    private static final List<DeviceTiming> TWO = List.of(
            new DeviceTiming(1, 1, 2, 1, 3),
            new DeviceTiming(0.5, 0.5, 3, 0.5, 0.5));

    @Test
    void twoDevicesSynchronousByHand() {
        // FCFS step: dev1 [1,4] ends 5, dev0 [4,6] ends 10 -> 10 per step, 20 for two steps.
        RoundResult fcfs = RoundSimulator.simulate(TWO, 2, new Fcfs(), Mode.SYNCHRONOUS, null);
        assertThat(fcfs.roundTime()).isEqualTo(20);
        assertThat(fcfs.slots()).containsExactly(
                new ServerSlot(1, 0, 1, 1, 4), new ServerSlot(0, 0, 2, 4, 6),
                new ServerSlot(1, 1, 11, 11, 14), new ServerSlot(0, 1, 12, 14, 16));
        // Exact step: dev0 [2,4] ends 8, dev1 [4,7] ends 8 -> 8 per step, 16.
        RoundResult exact = RoundSimulator.simulate(TWO, 2, new Carlier(), Mode.SYNCHRONOUS, null);
        assertThat(exact.roundTime()).isEqualTo(16);
        assertThat(exact.slots()).containsExactly(
                new ServerSlot(0, 0, 2, 2, 4), new ServerSlot(1, 0, 1, 4, 7),
                new ServerSlot(0, 1, 10, 10, 12), new ServerSlot(1, 1, 9, 12, 15));
        assertThat(RoundSimulator.simulate(TWO, 2, new Schrage(), Mode.SYNCHRONOUS, null).roundTime()).isEqualTo(20);
        // Device busy per step: dev0 2 + 4 = 6, dev1 1 + 1 = 2; idle = 16 - 2*busy. Server busy 10 of 16.
        assertThat(exact.deviceIdle()).containsExactly(4.0, 12.0);
        assertThat(exact.deviceQueueing()).containsExactly(0.0, 6.0); // dev1 waits 3 in each step
        assertThat(exact.serverBusyFraction()).isEqualTo(10.0 / 16);
        assertThat(exact.mode()).isEqualTo(Mode.SYNCHRONOUS);
        assertThat(exact.policy()).isEqualTo("exact");
    }

    @Test
    void twoDevicesPipelinedByHand() {
        // FCFS: dev1 [1,4], next release 4+1+1 = 6; dev0 (released 2) [4,6], next release 6+4+2 = 12;
        // dev1 [6,9] ends 10; server idle until 12: dev0 [12,14] ends 18.
        RoundResult fcfs = RoundSimulator.simulate(TWO, 2, new Fcfs(), null);
        assertThat(fcfs.mode()).isEqualTo(Mode.PIPELINED);
        assertThat(fcfs.roundTime()).isEqualTo(18);
        assertThat(fcfs.slots()).containsExactly(
                new ServerSlot(1, 0, 1, 1, 4), new ServerSlot(0, 0, 2, 4, 6),
                new ServerSlot(1, 1, 6, 6, 9), new ServerSlot(0, 1, 12, 12, 14));
        assertThat(fcfs.devices()).containsExactly("0", "1");
        assertThat(fcfs.serveOrder()).containsExactly("1:1", "0:1", "1:2", "0:2");
        assertThat(fcfs.deviceIdle()).containsExactly(6.0, 14.0);
        assertThat(fcfs.deviceQueueing()).containsExactly(2.0, 0.0);
        assertThat(fcfs.serverBusyFraction()).isEqualTo(10.0 / 18);
        // Schrage online makes the same choices here: whenever the server frees up only one job is waiting.
        assertThat(RoundSimulator.simulate(TWO, 2, new Schrage(), null).slots()).isEqualTo(fcfs.slots());
        // Exact plans (dev0, dev1) for one step, but it is the dispatcher's priority among the steps that have
        // arrived, as on the edge server: at time 1 only dev1 has arrived, and the server does not idle for dev0, so
        // the round is FCFS's. (The simulator's own wave plan, before the one dispatcher, waited for dev0: 16.)
        assertThat(RoundSimulator.simulate(TWO, 2, new Carlier(), null).slots()).isEqualTo(fcfs.slots());
    }

    /**
     * Exact's plan decides among waiting steps. Device 0 (r 0, p 5, q 3) holds the server [0,5] while device 1 (r 3,
     * p 1, q 2) and device 2 (r 4, p 1, q 6) arrive. The step's optimum is (0, 2, 1), makespan 12 (device 2's long
     * tail first; (0, 1, 2) gives 13, every order starting with 1 or 2 at least 13). FCFS serves 1 before 2.
     */
    @Test
    void pipelinedExactServesWaitingStepsInThePlannedOrder() {
        List<DeviceTiming> three = List.of(
                new DeviceTiming(0, 0, 5, 0, 3),
                new DeviceTiming(3, 0, 1, 0, 2),
                new DeviceTiming(4, 0, 1, 0, 6));
        List<Integer> plan = new Carlier().order(RoundSimulator.stepInstance(three), null);
        assertThat(plan).containsExactly(0, 2, 1);
        assertThat(RoundSimulator.simulate(three, 1, new Carlier(), null).slots()).extracting(ServerSlot::device)
                .containsExactly(0, 2, 1);
        assertThat(RoundSimulator.simulate(three, 1, new Carlier(), null).roundTime()).isEqualTo(12);
        assertThat(RoundSimulator.simulate(three, 1, new Fcfs(), null).slots()).extracting(ServerSlot::device)
                .containsExactly(0, 1, 2);
    }

    /**
     * The pipelined round against a naive online server written here from the rules alone: whenever the server is
     * free, take among the steps released by then the earliest release (FCFS) or the largest tail (Schrage; ties by
     * release, then device), else idle to the next release. Same slots, bit for bit, on random fleets.
     */
    @Test
    void pipelinedRoundsEqualANaiveOnlineServer() {
        SplittableRandom rng = new SplittableRandom(21);
        for (int i = 0; i < 60; i++) {
            List<DeviceTiming> fleet = RandomInstances.fleet(1 + rng.nextInt(8), rng);
            int steps = 1 + rng.nextInt(5);
            for (boolean schrage : new boolean[] {false, true}) {
                RoundResult r = RoundSimulator.simulate(fleet, steps, schrage ? new Schrage() : new Fcfs(), null);
                assertThat(r.slots()).as("fleet %d, %s", i, schrage ? "schrage" : "fcfs")
                        .isEqualTo(naive(fleet, steps, schrage));
            }
        }
    }

    private static List<ServerSlot> naive(List<DeviceTiming> fleet, int steps, boolean schrage) {
        int n = fleet.size();
        double[] release = new double[n];
        int[] done = new int[n];
        for (int u = 0; u < n; u++) {
            release[u] = fleet.get(u).release();
        }
        List<ServerSlot> out = new ArrayList<>();
        double free = 0;
        for (int k = 0; k < n * steps; k++) {
            double now = free;
            boolean any = false;
            double earliest = Double.POSITIVE_INFINITY;
            for (int u = 0; u < n; u++) {
                if (done[u] < steps) {
                    any |= release[u] <= now;
                    earliest = Math.min(earliest, release[u]);
                }
            }
            if (!any) {
                now = earliest;
            }
            int best = -1;
            for (int u = 0; u < n; u++) {
                if (done[u] >= steps || release[u] > now) {
                    continue;
                }
                if (best < 0) {
                    best = u;
                    continue;
                }
                double qa = fleet.get(u).tail();
                double qb = fleet.get(best).tail();
                boolean better = schrage
                        ? qa > qb || (qa == qb && release[u] < release[best])
                        : release[u] < release[best];
                if (better) {
                    best = u;
                }
            }
            DeviceTiming d = fleet.get(best);
            out.add(new ServerSlot(best, done[best], release[best], now, now + d.processing()));
            free = now + d.processing();
            done[best]++;
            release[best] = free + d.tail() + d.release();
        }
        return out;
    }

    @Test
    void pipelinedSchrageServesTheLargestWaitingTailNotTheEarliestArrival() {
        // Device 0 holds the server [0,5]. Meanwhile device 1 arrives at 1 (tail 1) and device 2 at 2 (tail 10).
        List<DeviceTiming> three = List.of(
                new DeviceTiming(0, 0, 5, 0, 0),
                new DeviceTiming(1, 0, 1, 0, 1),
                new DeviceTiming(2, 0, 1, 0, 10));
        // FCFS: dev1 [5,6] ends 7, dev2 [6,7] ends 17. Schrage: dev2 [5,6] ends 16, dev1 [6,7] ends 8.
        for (Mode mode : Mode.values()) {
            RoundResult fcfs = RoundSimulator.simulate(three, 1, new Fcfs(), mode, null);
            RoundResult schrage = RoundSimulator.simulate(three, 1, new Schrage(), mode, null);
            assertThat(fcfs.slots()).extracting(ServerSlot::device).containsExactly(0, 1, 2);
            assertThat(fcfs.roundTime()).isEqualTo(17);
            assertThat(schrage.slots()).extracting(ServerSlot::device).containsExactly(0, 2, 1);
            assertThat(schrage.roundTime()).isEqualTo(16);
        }
    }

    @Test
    void singleDeviceSynchronousRoundIsStepsTimesRPlusPPlusQ() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 50; i++) {
            DeviceTiming d = RandomInstances.fleetDevice(rng);
            int steps = 1 + rng.nextInt(10);
            double expected = steps * (d.release() + d.processing() + d.tail());
            for (String name : Policies.NAMES) {
                for (Mode mode : Mode.values()) {
                    RoundResult r = RoundSimulator.simulate(List.of(d), steps, Policies.of(name), mode,
                            new SplittableRandom(i));
                    // Without other devices there is no barrier to wait at, so both modes agree.
                    assertThat(r.roundTime()).isCloseTo(expected, Offset.offset(1e-12 * expected));
                    assertThat(r.deviceQueueing().get(0)).isZero();
                }
            }
        }
    }

    @Test
    void exactNeverLosesToFcfsOrSchrageInSynchronousRounds() {
        SplittableRandom rng = new SplittableRandom(100);
        int strictlyBetter = 0;
        for (int i = 0; i < 100; i++) {
            List<DeviceTiming> fleet = RandomInstances.fleet(2 + rng.nextInt(11), rng);
            int steps = 1 + rng.nextInt(5);
            double exact = RoundSimulator.simulate(fleet, steps, new Carlier(), Mode.SYNCHRONOUS, null).roundTime();
            double fcfs = RoundSimulator.simulate(fleet, steps, new Fcfs(), Mode.SYNCHRONOUS, null).roundTime();
            double schrage = RoundSimulator.simulate(fleet, steps, new Schrage(), Mode.SYNCHRONOUS, null).roundTime();
            assertThat(exact).isLessThanOrEqualTo(fcfs * (1 + 1e-12));
            assertThat(exact).isLessThanOrEqualTo(schrage * (1 + 1e-12));
            if (exact < fcfs * (1 - 1e-9)) {
                strictlyBetter++;
            }
        }
        // Not a formality: on heterogeneous fleets FCFS is usually suboptimal.
        assertThat(strictlyBetter).isGreaterThan(50);
    }

    @Test
    void everyRoundRespectsServerAndDevicePrecedence() {
        SplittableRandom rng = new SplittableRandom(5);
        List<SchedulingPolicy> policies = List.of(new Fcfs(), new RandomOrder(), new Schrage(), new Carlier());
        for (int i = 0; i < 60; i++) {
            List<DeviceTiming> fleet = RandomInstances.fleet(1 + rng.nextInt(10), rng);
            int steps = 1 + rng.nextInt(6);
            for (SchedulingPolicy policy : policies) {
                for (Mode mode : Mode.values()) {
                    checkInvariants(fleet, steps, mode,
                            RoundSimulator.simulate(fleet, steps, policy, mode, new SplittableRandom(i)));
                }
            }
        }
    }

    private static void checkInvariants(List<DeviceTiming> fleet, int steps, Mode mode, RoundResult r) {
        int devices = fleet.size();
        assertThat(r.slots()).hasSize(devices * steps);
        double tol = 1e-9;
        double serverFree = 0;
        double[] deviceReady = new double[devices]; // when the device's next job can reach the server
        int[] nextStep = new int[devices];
        for (int u = 0; u < devices; u++) {
            deviceReady[u] = fleet.get(u).release();
        }
        double lastTailEnd = 0;
        for (ServerSlot s : r.slots()) {
            DeviceTiming d = fleet.get(s.device());
            assertThat(s.step()).isEqualTo(nextStep[s.device()]++); // each device's steps in order
            assertThat(s.start()).isGreaterThanOrEqualTo(serverFree - tol); // one job at a time
            assertThat(s.start()).isGreaterThanOrEqualTo(deviceReady[s.device()] - tol); // released
            if (mode == Mode.PIPELINED) {
                // the slot's release is when its device's forward and uplink ended
                assertThat(s.release()).isCloseTo(deviceReady[s.device()], Offset.offset(tol * Math.max(1, s.release())));
            }
            assertThat(s.duration()).isCloseTo(d.processing(), Offset.offset(tol));
            serverFree = s.end();
            deviceReady[s.device()] = s.end() + d.tail() + d.release();
            lastTailEnd = Math.max(lastTailEnd, s.end() + d.tail());
        }
        assertThat(r.roundTime()).isCloseTo(lastTailEnd, Offset.offset(tol * Math.max(1, lastTailEnd)));
        if (mode == Mode.SYNCHRONOUS) {
            // Waves never interleave on the server: a barrier between steps.
            for (int k = 0; k < r.slots().size(); k++) {
                assertThat(r.slots().get(k).step()).isEqualTo(k / devices);
            }
        } else {
            // The online server never idles while a step waits: each slot starts when the server is free or, if
            // nothing had arrived by then, when this step arrived; and a slot's release is its device's ready time.
            double free = 0;
            for (ServerSlot s : r.slots()) {
                assertThat(s.start()).isEqualTo(Math.max(free, s.release()));
                free = s.end();
            }
        }
    }

    @Test
    void sameSeedSameRoundDifferentSeedDifferentRandomRound() {
        SplittableRandom rng = new SplittableRandom(8);
        int differ = 0;
        for (int i = 0; i < 10; i++) {
            List<DeviceTiming> fleet = RandomInstances.fleet(6, rng);
            for (Mode mode : Mode.values()) {
                for (String name : Policies.NAMES) {
                    RoundResult a = RoundSimulator.simulate(fleet, 4, Policies.of(name), mode, new SplittableRandom(3));
                    RoundResult b = RoundSimulator.simulate(fleet, 4, Policies.of(name), mode, new SplittableRandom(3));
                    assertThat(a).isEqualTo(b);
                }
                RoundResult c = RoundSimulator.simulate(fleet, 4, new RandomOrder(), mode, new SplittableRandom(4));
                RoundResult d = RoundSimulator.simulate(fleet, 4, new RandomOrder(), mode, new SplittableRandom(3));
                if (!c.slots().equals(d.slots())) {
                    differ++;
                }
            }
        }
        assertThat(differ).isGreaterThan(10); // the seed really drives the random policy
    }

    @Test
    void rejectsEmptyFleetsAndStepCounts() {
        assertThatThrownBy(() -> RoundSimulator.simulate(List.of(), 1, new Fcfs(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("fleet must have at least one device, got 0");
        assertThatThrownBy(() -> RoundSimulator.simulate(TWO, 0, new Fcfs(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("local steps must be >= 1, got 0");
    }
}
