package org.memsfl.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The critical-path dispatcher: no round beats the chain bound under any policy (the bound's own check), critical
 * reaches it where the slowest device's chain dominates, it idles only before the critical device's predicted arrival
 * and never past it (a late device does not stall the server), and it serves every step.
 */
class CriticalPathTest {

    @Test
    void noPolicyBeatsTheChainBoundOnRandomFleets() {
        SplittableRandom rng = new SplittableRandom(21);
        int reached = 0;
        for (int i = 0; i < 200; i++) {
            List<DeviceTiming> fleet = RandomInstances.fleet(1 + rng.nextInt(8), rng);
            int steps = 1 + rng.nextInt(6);
            double bound = CriticalPath.chainBound(fleet, steps);
            for (String p : Policies.NAMES) {
                RoundResult r = RoundSimulator.simulate(fleet, steps, Policies.of(p), new SplittableRandom(i));
                assertThat(r.slots()).hasSize(fleet.size() * steps);
                assertThat(r.roundTime()).as("%s on instance %d", p, i).isGreaterThanOrEqualTo(bound * (1 - 1e-12));
            }
            double critical = RoundSimulator.simulate(fleet, steps, new CriticalPath(), null).roundTime();
            if (critical <= bound * (1 + 1e-12)) {
                reached++;
            }
        }
        assertThat(reached).isGreaterThan(20); // not vacuous: critical often proves itself optimal
    }

    /**
     * {@code critical}'s idling does not always pay: on fleets drawn as a newcomer drew them (r up to 4 s, p up to 2 s,
     * q up to 2 s) it is longer than FCFS on a fifth of them. {@code best} dispatches each round with the candidate
     * whose simulated round is shortest, so it is never longer than any of them (the same simulation: exact equality).
     */
    @Test
    void bestIsNeverLongerThanAnyCandidate() {
        java.util.Random rnd = new java.util.Random(42);
        int criticalLonger = 0;
        for (int i = 0; i < 300; i++) {
            int n = 2 + rnd.nextInt(6);
            int steps = 1 + rnd.nextInt(8);
            List<DeviceTiming> fleet = new java.util.ArrayList<>();
            for (int u = 0; u < n; u++) {
                fleet.add(new DeviceTiming(rnd.nextDouble() * 3, rnd.nextDouble(), rnd.nextDouble() * 2,
                        rnd.nextDouble() * 0.5, rnd.nextDouble() * 1.5));
            }
            double best = RoundSimulator.simulate(fleet, steps, new BestPredicted(), null).roundTime();
            double shortest = Double.POSITIVE_INFINITY;
            for (String name : BestPredicted.CANDIDATES) {
                double t = RoundSimulator.simulate(fleet, steps, Policies.of(name), null).roundTime();
                assertThat(best).as("%s on instance %d", name, i).isLessThanOrEqualTo(t);
                shortest = Math.min(shortest, t);
            }
            assertThat(best).isEqualTo(shortest);
            double fcfs = RoundSimulator.simulate(fleet, steps, new Fcfs(), null).roundTime();
            if (RoundSimulator.simulate(fleet, steps, new CriticalPath(), null).roundTime() > fcfs * (1 + 1e-12)) {
                criticalLonger++;
            }
        }
        assertThat(criticalLonger).as("instances where critical alone loses to FCFS").isGreaterThan(10);
    }

    /**
     * One slow device (chain 3 x 3.0 s) and one fast one whose server time (1.5 s) does not fit in the slow device's
     * 1.0 s gaps: critical serves the slow device at each arrival and never lets it wait; FCFS makes it wait.
     */
    @Test
    void theSlowDeviceNeverWaits() {
        DeviceTiming slow = new DeviceTiming(0.5, 0.5, 1.0, 0.5, 0.5); // r 1.0, p 1.0, q 1.0
        DeviceTiming fast = new DeviceTiming(0.05, 0.05, 1.5, 0.05, 0.05); // r 0.1, p 1.5, q 0.1
        List<DeviceTiming> fleet = List.of(slow, fast);
        double bound = CriticalPath.chainBound(fleet, 3);
        assertThat(bound).isEqualTo(9.0);
        RoundResult critical = RoundSimulator.simulate(fleet, 3, new CriticalPath(), null);
        assertThat(critical.roundTime()).isGreaterThanOrEqualTo(bound);
        for (ServerSlot s : critical.slots()) {
            if (s.device() == 0) {
                assertThat(s.start()).isEqualTo(s.release()); // the critical device never queues
            }
        }
        assertThat(RoundSimulator.simulate(fleet, 3, new Fcfs(), null).deviceQueueing().get(0)).isPositive();
    }

    /** Idles for the critical device only until its predicted arrival; then serves what waits, whether it came or not. */
    @Test
    void idlesBeforeAPredictedArrivalAndNeverPastIt() {
        Map<String, DeviceTiming> t = new LinkedHashMap<>();
        t.put("slow", new DeviceTiming(0.5, 0.5, 1.0, 0.5, 0.5)); // predicted at 1.0, chain 2 x 3.0 - 1.0 = 5.0
        t.put("fast", new DeviceTiming(0.05, 0.05, 1.5, 0.05, 0.05)); // chain 2 x 1.6 + 0.1 = 3.3
        StepDispatcher<String> d = new StepDispatcher<>(new CriticalPath(), 1);
        d.beginRound(1, t, 2);
        d.add(new StepDispatcher.Waiting<>("fast", 1, 0.1, "f1"));
        assertThat(d.next(0.1)).isNull(); // 0.1 + 1.5 > 1.0: serving fast would make slow wait
        assertThat(d.idleUntil()).isEqualTo(1.0);
        assertThat(d.next(1.0).work()).isEqualTo("f1"); // slow is late: the server does not wait past the prediction
        assertThat(d.isEmpty()).isTrue();

        d.beginRound(2, t, 2);
        d.add(new StepDispatcher.Waiting<>("fast", 1, 0.1, "f1"));
        assertThat(d.next(0.1)).isNull();
        d.add(new StepDispatcher.Waiting<>("slow", 1, 0.9, "s1")); // early: it is served at once
        assertThat(d.next(0.9).work()).isEqualTo("s1");
        assertThat(d.next(1.9).work()).isEqualTo("f1"); // slow's next step is predicted at 1.9 + 1.0 + 1.0 = 3.9
    }

    /** A fast device whose chain is longer than the absent critical one's is served, not made to wait. */
    @Test
    void aWaitingStepWithALongerChainIsNeverHeldBack() {
        Map<String, DeviceTiming> t = new LinkedHashMap<>();
        t.put("late", new DeviceTiming(2.0, 0.0, 0.5, 0.0, 0.0)); // predicted at 2.0, chain 0.5
        t.put("long", new DeviceTiming(0.0, 0.0, 3.0, 0.0, 0.0)); // chain 3.0
        StepDispatcher<String> d = new StepDispatcher<>(new CriticalPath(), 1);
        d.beginRound(1, t, 1);
        d.add(new StepDispatcher.Waiting<>("long", 1, 0.0, "l"));
        assertThat(d.next(0.0).work()).isEqualTo("l"); // long's rem 3.0 > late's 2.5: long is the critical one
    }
}
