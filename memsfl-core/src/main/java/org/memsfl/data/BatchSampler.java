package org.memsfl.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Endless reproducible training batches: examples are drawn without replacement from a seeded shuffle, which is
 * redrawn when used up (an epoch), so every batch is full and every example is seen once per epoch.
 */
public final class BatchSampler {

    private final List<TokenizedExample> examples;
    private final int batchSize;
    private final int maxSeqLen;
    private final SplittableRandom rng;
    private int[] order;
    private int cursor;
    private long epoch;

    public BatchSampler(List<TokenizedExample> examples, int batchSize, int maxSeqLen, long seed) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("examples must not be empty");
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        if (maxSeqLen <= 0) {
            throw new IllegalArgumentException("maxSeqLen must be > 0, got " + maxSeqLen);
        }
        this.examples = List.copyOf(examples);
        this.batchSize = batchSize;
        this.maxSeqLen = maxSeqLen;
        this.rng = new SplittableRandom(seed);
        reshuffle();
    }

    private void reshuffle() {
        order = Shuffle.permutation(examples.size(), rng);
        cursor = 0;
    }

    public Batch next() {
        List<TokenizedExample> picked = new ArrayList<>(batchSize);
        while (picked.size() < batchSize) {
            if (cursor == order.length) {
                reshuffle();
                epoch++;
            }
            picked.add(examples.get(order[cursor++]));
        }
        return Batcher.collate(picked, maxSeqLen);
    }

    /** Completed passes over the examples. */
    public long epoch() {
        return epoch;
    }
}
