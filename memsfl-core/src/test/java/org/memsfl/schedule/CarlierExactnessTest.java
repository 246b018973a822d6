package org.memsfl.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Carlier against the brute-force oracle on 1,000 seeded random instances of 1 to 8 jobs, and the quality of Schrage's
 * and FCFS's orders against the optimum on the same instances.
 */
class CarlierExactnessTest {

    private static final int INSTANCES = 1000;
    /** Orders are evaluated by the same arithmetic, so optimal makespans agree to the last bit unless a bound prunes
     * at a rounding tie; 1e-9 relative allows that and nothing else. */
    private static final double REL_TOL = 1e-9;

    @Test
    void carlierEqualsBruteForceAndBoundsHeuristics() {
        SplittableRandom rng = new SplittableRandom(20250603L);
        Carlier carlier = new Carlier();
        BruteForce brute = new BruteForce();
        Schrage schrage = new Schrage();
        Fcfs fcfs = new Fcfs();

        int families = RandomInstances.FAMILIES.length;
        double[] gapSum = new double[families];
        double[] gapMax = new double[families];
        int[] count = new int[families];
        int[] schrageSuboptimal = new int[families];
        double totalGap = 0;
        double maxGap = 0;
        int bitIdentical = 0;
        double maxRelDiff = 0;

        for (int i = 0; i < INSTANCES; i++) {
            int family = i % families;
            int n = 1 + rng.nextInt(8);
            List<Job> jobs = RandomInstances.draw(family, n, rng);

            Carlier.Result exact = carlier.solve(jobs);
            double carlierMakespan = Schedule.of(jobs, exact.order()).makespan();
            double bruteMakespan = Schedule.of(jobs, brute.order(jobs, null)).makespan();
            double schrageMakespan = Schedule.of(jobs, schrage.order(jobs, null)).makespan();
            double fcfsMakespan = Schedule.of(jobs, fcfs.order(jobs, null)).makespan();

            assertThat(exact.provedOptimal()).as("instance %d %s", i, jobs).isTrue();
            assertThat(exact.makespan()).isEqualTo(carlierMakespan);
            assertThat(carlierMakespan).as("Carlier vs brute force, instance %d %s", i, jobs)
                    .isCloseTo(bruteMakespan, org.assertj.core.data.Offset.offset(REL_TOL * Math.max(1, bruteMakespan)));
            if (carlierMakespan == bruteMakespan) {
                bitIdentical++;
            }
            maxRelDiff = Math.max(maxRelDiff, Math.abs(carlierMakespan - bruteMakespan) / Math.max(1e-300, bruteMakespan));
            assertThat(schrageMakespan).as("Schrage >= optimum, instance %d", i)
                    .isGreaterThanOrEqualTo(bruteMakespan * (1 - REL_TOL));
            assertThat(fcfsMakespan).as("FCFS >= optimum, instance %d", i)
                    .isGreaterThanOrEqualTo(bruteMakespan * (1 - REL_TOL));
            assertThat(exact.lowerBound()).isEqualTo(exact.makespan());

            double gap = bruteMakespan > 0 ? (schrageMakespan - bruteMakespan) / bruteMakespan : 0;
            totalGap += gap;
            maxGap = Math.max(maxGap, gap);
            gapSum[family] += gap;
            gapMax[family] = Math.max(gapMax[family], gap);
            count[family]++;
            if (gap > REL_TOL) {
                schrageSuboptimal[family]++;
            }
        }

        double avgGap = totalGap / INSTANCES;
        System.out.printf("Schrage gap over %d instances (n in 1..8): average %.4f%%, max %.4f%%; Carlier bit-identical"
                + " to brute force on %d, largest relative difference %.3g%n", INSTANCES, 100 * avgGap, 100 * maxGap,
                bitIdentical, maxRelDiff);
        for (int f = 0; f < families; f++) {
            System.out.printf("  family %-11s %4d instances: average gap %.4f%%, max %.4f%%, Schrage suboptimal on %d%n",
                    RandomInstances.FAMILIES[f], count[f], 100 * gapSum[f] / count[f], 100 * gapMax[f],
                    schrageSuboptimal[f]);
        }
        // Measured when written (distributions fixed before looking): 1.72% on average over all families, but 3.24% on
        // the fleet-like family, whose r, p, q are of similar scale - the case that matters for memsfl, and where
        // Schrage is suboptimal on over half the instances. The 2% bound holds only for the mixture; the exact solver
        // is worth its cost precisely on realistic fleets.
        assertThat(avgGap).as("average Schrage gap").isLessThanOrEqualTo(0.02);
        // Schrage is never worse than twice optimal (Carlier 1982): a gap above 100% would mean a wrong evaluation.
        assertThat(maxGap).isLessThan(1.0);
    }

    @Test
    void carlierEqualsBruteForceOnNineJobHardIntegerInstances() {
        // Carlier's hard class scaled down to the oracle's limit: p in 1..50, r and q in 1..K n, K in 10..25; small
        // integers give many ties, which is where the critical-job rule (strictly smaller tail) is delicate.
        SplittableRandom rng = new SplittableRandom(9);
        Carlier carlier = new Carlier();
        for (int i = 0; i < 60; i++) {
            int k = 10 + rng.nextInt(16);
            List<Job> jobs = new java.util.ArrayList<>();
            for (int j = 0; j < 9; j++) {
                jobs.add(new Job(j, 1 + rng.nextInt(9 * k), 1 + rng.nextInt(50), 1 + rng.nextInt(9 * k)));
            }
            Carlier.Result exact = carlier.solve(jobs);
            double brute = Schedule.of(jobs, new BruteForce().order(jobs, null)).makespan();
            assertThat(exact.provedOptimal()).isTrue();
            // Integer data: every makespan is an exact integer in double, so equality is exact.
            assertThat(exact.makespan()).as("instance %d %s", i, jobs).isEqualTo(brute);
        }
    }
}
