package org.memsfl.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The list rules on small hand-made instances, the random order's uniformity, and lookup by name. */
class PoliciesTest {

    @Test
    void looksUpEveryNameAndRejectsOthersListingNames() {
        assertThat(Policies.of("fcfs")).isInstanceOf(Fcfs.class);
        assertThat(Policies.of("random")).isInstanceOf(RandomOrder.class);
        assertThat(Policies.of("schrage")).isInstanceOf(Schrage.class);
        assertThat(Policies.of(" Exact ")).isInstanceOf(Carlier.class);
        for (String name : Policies.NAMES) {
            assertThat(Policies.of(name).name()).isEqualTo(name);
        }
        assertThatThrownBy(() -> Policies.of("sjf"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown scheduling policy 'sjf'; expected one of fcfs, random, schrage, exact, critical, best");
        assertThatThrownBy(() -> Policies.of(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fcfsOrdersByReleaseThenId() {
        List<Job> jobs = List.of(new Job(5, 2, 1, 9), new Job(3, 1, 1, 0), new Job(1, 2, 1, 0), new Job(0, 0, 4, 0));
        assertThat(new Fcfs().order(jobs, null)).containsExactly(3, 1, 2, 0);
    }

    @Test
    void schrageTakesLargestReleasedTailAndJumpsWhenIdle() {
        // At 0 only job 0 is released: it runs [0,4]. At 4 jobs 1 (q=1) and 2 (q=5) are waiting: 2 first, then 1.
        // Job 3 is released at 20, after the machine ran dry: jump there.
        List<Job> jobs = List.of(new Job(0, 0, 4, 0), new Job(1, 1, 1, 1), new Job(2, 3, 1, 5), new Job(3, 20, 1, 0));
        assertThat(new Schrage().order(jobs, null)).containsExactly(0, 2, 1, 3);
        // Equal tails: earlier release first, then smaller id.
        List<Job> ties = List.of(new Job(4, 0, 1, 3), new Job(2, 0, 1, 3), new Job(1, 0, 5, 0), new Job(0, 0, 1, 3));
        assertThat(new Schrage().order(ties, null)).containsExactly(3, 1, 0, 2);
    }

    @Test
    void onlineDispatchPicksAmongWaitingJobs() {
        // All three are waiting; they arrived at 3, 1 and 2.
        List<Job> waiting = List.of(new Job(7, 3, 1, 9), new Job(8, 1, 1, 2), new Job(9, 2, 4, 9));
        assertThat(new Fcfs().dispatch(waiting, null)).isEqualTo(1); // earliest arrival
        assertThat(new Schrage().dispatch(waiting, null)).isEqualTo(2); // largest tail, the earlier of the two 9s
        assertThat(new Schrage().dispatch(List.of(new Job(4, 0, 1, 1), new Job(3, 0, 1, 1)), null)).isEqualTo(1);
        assertThatThrownBy(() -> new Schrage().dispatch(List.of(), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randomOrderIsAUniformPermutationAndSeeded() {
        List<Job> jobs = List.of(new Job(0, 0, 1, 0), new Job(1, 0, 1, 0), new Job(2, 0, 1, 0));
        RandomOrder random = new RandomOrder();
        SplittableRandom rng = new SplittableRandom(42);
        Map<List<Integer>, Integer> counts = new HashMap<>();
        int draws = 6000;
        for (int i = 0; i < draws; i++) {
            counts.merge(random.order(jobs, rng), 1, Integer::sum);
        }
        assertThat(counts).hasSize(6);
        // Each of the 6 orders expects 1000 draws; the standard deviation is about 29, so 850..1150 is over 5 sigma.
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(850, 1150));
        assertThat(random.order(jobs, new SplittableRandom(7))).isEqualTo(random.order(jobs, new SplittableRandom(7)));
        assertThatThrownBy(() -> random.order(jobs, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void bruteForceRefusesLargeInstances() {
        List<Job> ten = new java.util.ArrayList<>();
        for (int j = 0; j < 10; j++) {
            ten.add(new Job(j, 0, 1, 0));
        }
        assertThatThrownBy(() -> new BruteForce().order(ten, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 9 jobs, got 10");
    }

    @Test
    void offlineSolversPlanWavesOnlineRulesDispatch() {
        assertThat(new Carlier().online()).isEqualTo(SchedulingPolicy.Online.WAVE_PLAN);
        assertThat(new BruteForce().online()).isEqualTo(SchedulingPolicy.Online.WAVE_PLAN);
        assertThat(new Fcfs().online()).isEqualTo(SchedulingPolicy.Online.DISPATCH);
        assertThat(new Schrage().online()).isEqualTo(SchedulingPolicy.Online.DISPATCH);
        assertThat(new RandomOrder().online()).isEqualTo(SchedulingPolicy.Online.DISPATCH);
        assertThat(new CriticalPath().online()).isEqualTo(SchedulingPolicy.Online.CRITICAL_PATH);
        assertThat(new BestPredicted().online()).isEqualTo(SchedulingPolicy.Online.BEST_PREDICTED);
    }
}
