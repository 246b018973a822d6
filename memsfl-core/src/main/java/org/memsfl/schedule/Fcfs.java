package org.memsfl.schedule;

import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * First come, first served: by release time, ties by {@link Job#id()}, then by position. The naive server order that
 * DESIGN.md section 6 compares against; it ignores tails, which is exactly what Schrage's rule fixes.
 */
public final class Fcfs implements SchedulingPolicy {

    public static final String NAME = "fcfs";

    @Override
    public List<Integer> order(List<Job> jobs, SplittableRandom rng) {
        return IntStream.range(0, jobs.size()).boxed()
                .sorted(Comparator.<Integer>comparingDouble(j -> jobs.get(j).release())
                        .thenComparingInt(j -> jobs.get(j).id())
                        .thenComparingInt(j -> j))
                .toList();
    }

    @Override
    public String name() {
        return NAME;
    }
}
