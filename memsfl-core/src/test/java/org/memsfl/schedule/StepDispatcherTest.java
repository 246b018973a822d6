package org.memsfl.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The edge server's choice among waiting local steps, against the rules it must follow: FCFS serves the earliest
 * arrival, Schrage the longest tail whatever the arrival order, exact an order whose makespan for the predicted step
 * equals brute force's optimum (wave by wave), random is reproducible per (seed, round).
 */
class StepDispatcherTest {

    /** Three devices: a's tail is short, b's long, c's in between; releases a < b < c. */
    private static Map<String, DeviceTiming> timings() {
        Map<String, DeviceTiming> t = new LinkedHashMap<>();
        t.put("a", new DeviceTiming(0.1, 0.1, 0.3, 0.1, 0.1)); // release 0.2, tail 0.2
        t.put("b", new DeviceTiming(0.2, 0.2, 0.2, 1.0, 1.0)); // release 0.4, tail 2.0
        t.put("c", new DeviceTiming(0.3, 0.3, 0.4, 0.5, 0.5)); // release 0.6, tail 1.0
        return t;
    }

    private static List<String> drain(StepDispatcher<String> q) {
        List<String> out = new ArrayList<>();
        // asked after every arrival (all arrive before 1 s); these policies never idle
        for (StepDispatcher.Waiting<String> w = q.next(10); w != null; w = q.next(10)) {
            out.add(w.deviceId() + ":" + w.localStep());
        }
        return out;
    }

    private static StepDispatcher<String> queue(String policy, long seed, int round) {
        StepDispatcher<String> q = new StepDispatcher<>(Policies.of(policy), seed);
        q.beginRound(round, timings());
        return q;
    }

    @Test
    void fcfsServesTheEarliestArrival() {
        StepDispatcher<String> q = queue("fcfs", 1, 1);
        q.add(new StepDispatcher.Waiting<>("c", 1, 0.9, "x"));
        q.add(new StepDispatcher.Waiting<>("a", 1, 0.5, "x"));
        q.add(new StepDispatcher.Waiting<>("b", 1, 0.7, "x"));
        assertThat(drain(q)).containsExactly("a:1", "b:1", "c:1");
    }

    @Test
    void schrageServesTheLongestTailWhateverArrivedFirst() {
        StepDispatcher<String> q = queue("schrage", 1, 1);
        q.add(new StepDispatcher.Waiting<>("a", 1, 0.1, "x"));
        q.add(new StepDispatcher.Waiting<>("c", 1, 0.2, "x"));
        q.add(new StepDispatcher.Waiting<>("b", 1, 0.3, "x"));
        assertThat(drain(q)).containsExactly("b:1", "c:1", "a:1");
    }

    @Test
    void exactFollowsAnOptimalOrderOfThePredictedStepWaveByWave() {
        List<String> ids = List.of("a", "b", "c");
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            DeviceTiming t = timings().get(ids.get(i));
            jobs.add(new Job(i, t.release(), t.server(), t.tail()));
        }
        StepDispatcher<String> q = queue("exact", 1, 1);
        // all three waiting in the worst arrival order for a stable pick, plus a second step of device a
        q.add(new StepDispatcher.Waiting<>("a", 2, 0.01, "x"));
        q.add(new StepDispatcher.Waiting<>("c", 1, 0.02, "x"));
        q.add(new StepDispatcher.Waiting<>("a", 1, 0.03, "x"));
        q.add(new StepDispatcher.Waiting<>("b", 1, 0.04, "x"));
        List<String> got = drain(q);
        assertThat(got).hasSize(4).endsWith("a:2"); // wave 1 before wave 2
        List<Integer> order = new ArrayList<>();
        got.subList(0, 3).forEach(g -> order.add(ids.indexOf(g.substring(0, 1))));
        // the oracle: brute force over all 3! orders; the served order must reach its makespan
        double optimum = Schedule.of(jobs, new BruteForce().order(jobs, null)).makespan();
        assertThat(Schedule.of(jobs, order).makespan()).isCloseTo(optimum, within(1e-12));
        // and it is a real choice: arrival order (c, a, b) is worse here
        assertThat(Schedule.of(jobs, List.of(2, 0, 1)).makespan()).isGreaterThan(optimum + 1e-9);
    }

    @Test
    void randomIsReproduciblePerSeedAndRound() {
        List<List<String>> orders = new ArrayList<>();
        Set<String> firsts = new HashSet<>();
        for (int round = 1; round <= 20; round++) {
            List<String> once = null;
            for (int rep = 0; rep < 2; rep++) {
                StepDispatcher<String> q = queue("random", 5, round);
                for (String id : List.of("a", "b", "c")) {
                    q.add(new StepDispatcher.Waiting<>(id, 1, 0.1, "x"));
                }
                List<String> got = drain(q);
                if (once == null) {
                    once = got;
                } else {
                    assertThat(got).as("round %d replayed", round).isEqualTo(once);
                }
            }
            orders.add(once);
            firsts.add(once.get(0));
        }
        assertThat(firsts).as("over 20 rounds every device is served first at least once").hasSize(3);
    }
}
