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
                new ServerSlot(1, 0, 1, 4), new ServerSlot(0, 0, 4, 6),
                new ServerSlot(1, 1, 11, 14), new ServerSlot(0, 1, 14, 16));
        // Exact step: dev0 [2,4] ends 8, dev1 [4,7] ends 8 -> 8 per step, 16.
        RoundResult exact = RoundSimulator.simulate(TWO, 2, new Carlier(), Mode.SYNCHRONOUS, null);
        assertThat(exact.roundTime()).isEqualTo(16);
        assertThat(exact.slots()).containsExactly(
                new ServerSlot(0, 0, 2, 4), new ServerSlot(1, 0, 4, 7),
                new ServerSlot(0, 1, 10, 12), new ServerSlot(1, 1, 12, 15));
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
                new ServerSlot(1, 0, 1, 4), new ServerSlot(0, 0, 4, 6),
                new ServerSlot(1, 1, 6, 9), new ServerSlot(0, 1, 12, 14));
        assertThat(fcfs.deviceIdle()).containsExactly(6.0, 14.0);
        assertThat(fcfs.deviceQueueing()).containsExactly(2.0, 0.0);
        assertThat(fcfs.serverBusyFraction()).isEqualTo(10.0 / 18);
        // Schrage online makes the same choices here: whenever the server frees up only one job is waiting.
        assertThat(RoundSimulator.simulate(TWO, 2, new Schrage(), null).slots()).isEqualTo(fcfs.slots());
        // Exact = the step optimum (dev0, dev1) wave by wave: dev0 [2,4] next release 4+4+2 = 10; dev1 [4,7] next
        // release 7+1+1 = 9; wave 1: dev0 [10,12] ends 16; dev1 (released 9) [12,15] ends 16.
        RoundResult exact = RoundSimulator.simulate(TWO, 2, new Carlier(), null);
        assertThat(exact.roundTime()).isEqualTo(16);
        assertThat(exact.slots()).containsExactly(
                new ServerSlot(0, 0, 2, 4), new ServerSlot(1, 0, 4, 7),
                new ServerSlot(0, 1, 10, 12), new ServerSlot(1, 1, 12, 15));
        assertThat(exact.deviceQueueing()).containsExactly(0.0, 6.0);
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
            assertThat(s.duration()).isCloseTo(d.processing(), Offset.offset(tol));
            serverFree = s.end();
            deviceReady[s.device()] = s.end() + d.tail() + d.release();
            lastTailEnd = Math.max(lastTailEnd, s.end() + d.tail());
        }
        assertThat(r.roundTime()).isCloseTo(lastTailEnd, Offset.offset(tol * Math.max(1, lastTailEnd)));
        if (mode == Mode.SYNCHRONOUS || r.policy().equals(Carlier.NAME)) {
            // Waves never interleave on the server (a barrier in SYNCHRONOUS, the wave plan for exact PIPELINED).
            for (int k = 0; k < r.slots().size(); k++) {
                assertThat(r.slots().get(k).step()).isEqualTo(k / devices);
            }
        }
        if (r.policy().equals(Carlier.NAME) && mode == Mode.PIPELINED && devices > 1) {
            // And within each wave the plan is the same order.
            List<Integer> plan = new ArrayList<>();
            for (int k = 0; k < devices; k++) {
                plan.add(r.slots().get(k).device());
            }
            for (int k = 0; k < r.slots().size(); k++) {
                assertThat(r.slots().get(k).device()).isEqualTo(plan.get(k % devices));
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
