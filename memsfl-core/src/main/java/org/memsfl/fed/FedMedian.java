package org.memsfl.fed;

import java.util.List;

/**
 * Coordinate-wise median ({@code fedmedian}; Flower's {@code FedMedian}, after Yin et al. 2018, "Byzantine-robust
 * distributed learning: towards optimal statistical rates"). For every adapter key, every coordinate of A and of B
 * becomes the median of that coordinate over the clients holding the key (mean of the two middle values for an even
 * count, as {@code numpy.median}); {@code numExamples} is ignored. With n holders, fewer than n/2 arbitrary clients
 * cannot move a coordinate outside the range of the honest clients' values.
 *
 * <p>Cost of robustness: with honest clients only, the median is not the FedAvg mean; with two clients it equals
 * their unweighted mean.
 */
public final class FedMedian implements AggregationStrategy {

    public static final String NAME = "fedmedian";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AggregationResult aggregate(List<ClientUpdate> updates) {
        return CoordinateWise.aggregate(NAME, updates, FedMedian::median);
    }

    /** Median of ascending {@code sorted}. */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    @Override
    public String toString() {
        return NAME;
    }
}
