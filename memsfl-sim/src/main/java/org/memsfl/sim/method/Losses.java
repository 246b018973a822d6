package org.memsfl.sim.method;

/** Token-weighted running mean of step losses. */
final class Losses {

    private double sum;
    private long tokens;

    void add(double loss, long targetTokens) {
        sum += loss * targetTokens;
        tokens += targetTokens;
    }

    double mean() {
        return tokens == 0 ? Double.NaN : sum / tokens;
    }
}
