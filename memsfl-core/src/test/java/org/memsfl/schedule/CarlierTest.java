package org.memsfl.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Carlier on hand-made tricky cases, on larger instances, with its node limit, and each of its two trees alone. */
class CarlierTest {

    private static final double REL_TOL = 1e-9;

    private static List<Job> jobs(double[][] rpq) {
        List<Job> out = new ArrayList<>();
        for (int j = 0; j < rpq.length; j++) {
            out.add(new Job(j, rpq[j][0], rpq[j][1], rpq[j][2]));
        }
        return out;
    }

    private static double makespan(List<Job> jobs, List<Integer> order) {
        return Schedule.of(jobs, order).makespan();
    }

    private static void assertOptimal(List<Job> jobs) {
        Carlier.Result result = new Carlier().solve(jobs);
        double brute = makespan(jobs, new BruteForce().order(jobs, null));
        assertThat(result.provedOptimal()).isTrue();
        assertThat(makespan(jobs, result.order())).as("Carlier on %s", jobs)
                .isCloseTo(brute, org.assertj.core.data.Offset.offset(REL_TOL * Math.max(1, brute)));
    }

    @Test
    void waitsForALateJobWithAHugeTail() {
        // Schrage starts the long job at 0 (nothing else is released) and makes the late job's tail wait: 111.
        // The optimum leaves the server idle until 1: B [1,2] ends 102, A [2,12] ends 12.
        List<Job> jobs = jobs(new double[][] {{0, 10, 0}, {1, 1, 100}});
        assertThat(makespan(jobs, new Schrage().order(jobs, null))).isEqualTo(111);
        Carlier.Result result = new Carlier().solve(jobs);
        assertThat(result.order()).containsExactly(1, 0);
        assertThat(result.makespan()).isEqualTo(102);
        assertOptimal(jobs);
    }

    @Test
    void solvesHandMadeTrickyCasesExactly() {
        // Carlier's (1982) seven-job illustration: releases, processing times, tails.
        assertOptimal(jobs(new double[][] {{10, 5, 7}, {13, 6, 26}, {11, 7, 24}, {20, 4, 21}, {30, 3, 8}, {0, 6, 17},
                {30, 2, 0}}));
        // Several late urgent jobs behind one long early job, with a chain of decreasing tails.
        assertOptimal(jobs(new double[][] {{0, 20, 1}, {2, 1, 50}, {4, 1, 40}, {6, 1, 30}, {8, 1, 20}, {3, 5, 0}}));
        // Everything identical: any order is optimal.
        assertOptimal(jobs(new double[][] {{1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}}));
        // All zeros, and zero-length jobs among real ones.
        assertOptimal(jobs(new double[][] {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}));
        assertOptimal(jobs(new double[][] {{5, 0, 9}, {0, 4, 0}, {3, 0, 20}, {1, 3, 3}}));
        // A single job, and a job that dominates everything through its tail alone.
        assertOptimal(jobs(new double[][] {{3, 4, 5}}));
        assertOptimal(jobs(new double[][] {{0, 1, 1000}, {0, 50, 1}, {10, 1, 1}, {20, 1, 1}}));
        // Tails that tie with the critical job's (Carlier's c needs a strictly smaller tail).
        assertOptimal(jobs(new double[][] {{0, 4, 5}, {1, 2, 5}, {2, 3, 5}, {3, 1, 9}, {6, 2, 5}}));
        // Fractional values that are not exact in binary.
        assertOptimal(jobs(new double[][] {{0.1, 0.7, 0.3}, {0.2, 0.1, 0.9}, {0.3, 0.3, 0.1}, {0.0, 0.6, 0.2},
                {0.4, 0.2, 0.6}}));
    }

    @Test
    void emptyInstanceIsTriviallyOptimal() {
        Carlier.Result result = new Carlier().solve(List.of());
        assertThat(result.order()).isEmpty();
        assertThat(result.provedOptimal()).isTrue();
    }

    @Test
    void thirtyAndFiftyJobsAreSolvedAndNeverWorseThanSchrage() {
        SplittableRandom rng = new SplittableRandom(30);
        Carlier carlier = new Carlier();
        for (int n : new int[] {30, 50}) {
            for (int family = 0; family < RandomInstances.FAMILIES.length; family++) {
                for (int i = 0; i < 20; i++) {
                    List<Job> jobs = RandomInstances.draw(family, n, rng);
                    Carlier.Result result = carlier.solve(jobs);
                    double schrage = makespan(jobs, new Schrage().order(jobs, null));
                    assertThat(result.provedOptimal()).isTrue();
                    assertThat(result.makespan()).isEqualTo(makespan(jobs, result.order()));
                    assertThat(result.makespan()).isLessThanOrEqualTo(schrage);
                    assertThat(result.makespan()).isGreaterThanOrEqualTo(preemptiveBound(jobs) * (1 - REL_TOL));
                }
            }
        }
        assertThat(carlier.unprovenCount()).isZero();
    }

    @Test
    void hardIntegerInstancesOfFiftyJobsAreProved() {
        // Carlier's hard class: p in 1..50, r and q in 1..K n with K around 18-20, where the preemptive bound is
        // loose and the tree is largest. Without the mirrored tree some need 10^4-10^5 nodes; with it, these 30 need
        // few (27 at most when written). The default node limit must not be hit.
        SplittableRandom rng = new SplittableRandom(11);
        Carlier carlier = new Carlier();
        long maxNodes = 0;
        for (int i = 0; i < 30; i++) {
            int k = 18 + rng.nextInt(3);
            List<Job> jobs = new ArrayList<>();
            for (int j = 0; j < 50; j++) {
                jobs.add(new Job(j, 1 + rng.nextInt(k * 50), 1 + rng.nextInt(50), 1 + rng.nextInt(k * 50)));
            }
            Carlier.Result result = carlier.solve(jobs);
            maxNodes = Math.max(maxNodes, result.nodes());
            assertThat(result.provedOptimal()).as("instance %d", i).isTrue();
            assertThat(result.makespan()).isLessThanOrEqualTo(makespan(jobs, new Schrage().order(jobs, null)));
        }
        System.out.println("hard 50-job instances: max nodes " + maxNodes);
    }

    @Test
    void nodeLimitFallsBackToBestFoundAndSaysSo() {
        List<Job> jobs = jobs(new double[][] {{0, 10, 0}, {1, 1, 100}});
        Carlier limited = new Carlier(1);
        Carlier.Result result = limited.solve(jobs);
        // One node: the forward root only, which finds Schrage's 111 and a preemptive bound of 102.
        assertThat(result.provedOptimal()).isFalse();
        assertThat(result.nodes()).isEqualTo(1);
        assertThat(result.makespan()).isEqualTo(111);
        assertThat(result.lowerBound()).isEqualTo(102);
        assertThat(result.order()).containsExactlyInAnyOrder(0, 1);
        assertThat(limited.unprovenCount()).isEqualTo(1);
        // The mirrored root's Schrage finds the optimum, and its bound proves it.
        Carlier two = new Carlier(2);
        assertThat(two.solve(jobs).provedOptimal()).isTrue();
        assertThat(two.unprovenCount()).isZero();
        assertThatThrownBy(() -> new Carlier(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("node limit must be >= 1, got 0");
    }

    @Test
    void eachTreeAloneIsExact() {
        // The interleaved trees could hide a bug in one of them: run each to the end on its own.
        SplittableRandom rng = new SplittableRandom(99);
        for (int i = 0; i < 400; i++) {
            int family = i % RandomInstances.FAMILIES.length;
            List<Job> jobs = RandomInstances.draw(family, 1 + rng.nextInt(8), rng);
            double brute = makespan(jobs, new BruteForce().order(jobs, null));
            for (boolean mirrored : new boolean[] {false, true}) {
                assertThat(singleTree(jobs, mirrored)).as("tree mirrored=%s on %s", mirrored, jobs)
                        .isCloseTo(brute, org.assertj.core.data.Offset.offset(REL_TOL * Math.max(1, brute)));
            }
        }
    }

    private static double singleTree(List<Job> jobs, boolean mirrored) {
        int n = jobs.size();
        double[] r = new double[n];
        double[] p = new double[n];
        double[] q = new double[n];
        int[] ids = new int[n];
        for (int j = 0; j < n; j++) {
            r[j] = jobs.get(j).release();
            p[j] = jobs.get(j).processing();
            q[j] = jobs.get(j).tail();
            ids[j] = j;
        }
        CarlierSearch.Incumbent incumbent = new CarlierSearch.Incumbent(r, p, q);
        CarlierSearch tree = mirrored ? new CarlierSearch(q, p, r, ids, true) : new CarlierSearch(r, p, q, ids, false);
        int steps = 0;
        while (tree.step(incumbent)) {
            assertThat(++steps).isLessThan(100_000);
        }
        assertThat(tree.exhausted(incumbent.makespan)).isTrue();
        return makespan(jobs, Schedule.toList(incumbent.order));
    }

    private static double preemptiveBound(List<Job> jobs) {
        int n = jobs.size();
        double[] r = new double[n];
        double[] p = new double[n];
        double[] q = new double[n];
        int[] ids = new int[n];
        for (int j = 0; j < n; j++) {
            r[j] = jobs.get(j).release();
            p[j] = jobs.get(j).processing();
            q[j] = jobs.get(j).tail();
            ids[j] = j;
        }
        return new ListScheduler(n).preemptive(r, p, q, ids);
    }
}
