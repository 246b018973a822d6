package org.memsfl.fed;

import java.util.List;
import java.util.Locale;

/**
 * Coordinate-wise trimmed mean ({@code fedtrimmedavg[:beta]}; Flower's {@code FedTrimmedAvg}, after Yin et al. 2018).
 * For every adapter key and every coordinate of A and of B, the values over the clients holding the key are sorted,
 * {@code floor(beta * n)} are cut from each end (as {@code scipy.stats.trim_mean}, which Flower calls) and the rest
 * are averaged without weights. Flower's default {@code beta = 0.2}: with five clients one is cut at each end, with
 * fewer than five nothing is cut and the result is the plain unweighted mean.
 */
public final class FedTrimmedAvg implements AggregationStrategy {

    public static final String NAME = "fedtrimmedavg";
    /** Flower's default fraction cut from each end. */
    public static final double DEFAULT_BETA = 0.2;

    private final double beta;

    /** @param beta fraction cut from each end, in [0, 0.5) */
    public FedTrimmedAvg(double beta) {
        if (!(beta >= 0 && beta < 0.5)) {
            throw new IllegalArgumentException("fedtrimmedavg beta must be in [0, 0.5), got " + beta);
        }
        this.beta = beta;
    }

    public double beta() {
        return beta;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AggregationResult aggregate(List<ClientUpdate> updates) {
        return CoordinateWise.aggregate(NAME, updates, this::trimmedMean);
    }

    /** Mean of ascending {@code sorted} without its {@code floor(beta n)} lowest and highest values. */
    double trimmedMean(double[] sorted) {
        int cut = (int) Math.floor(beta * sorted.length);
        double sum = 0;
        for (int i = cut; i < sorted.length - cut; i++) {
            sum += sorted[i];
        }
        return sum / (sorted.length - 2 * cut);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s:%s", NAME, beta);
    }
}
