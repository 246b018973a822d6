package org.memsfl.data;

import java.util.Objects;

/**
 * A right-padded batch in row-major [batchSize, seqLen] layout. Row b holds {@code lengths[b]} real positions, then
 * pad id {@link Batcher#PAD_ID} with target {@link Tokenization#IGNORE}. Targets are already shifted (see
 * {@link TokenizedExample}): the loss compares logits at (b, t) with {@code targets[b * seqLen + t]}.
 */
public record Batch(long[] inputIds, long[] targets, int[] lengths, int batchSize, int seqLen) {

    public Batch {
        Objects.requireNonNull(inputIds, "inputIds must not be null");
        Objects.requireNonNull(targets, "targets must not be null");
        Objects.requireNonNull(lengths, "lengths must not be null");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        if (seqLen <= 0) {
            throw new IllegalArgumentException("seqLen must be > 0, got " + seqLen);
        }
        long cells = (long) batchSize * seqLen;
        if (inputIds.length != cells || targets.length != cells) {
            throw new IllegalArgumentException("inputIds and targets must have batchSize * seqLen = " + cells
                    + " entries, got " + inputIds.length + " and " + targets.length);
        }
        if (lengths.length != batchSize) {
            throw new IllegalArgumentException("lengths must have batchSize = " + batchSize + " entries, got "
                    + lengths.length);
        }
        for (int len : lengths) {
            if (len <= 0 || len > seqLen) {
                throw new IllegalArgumentException("each length must be in [1, " + seqLen + "], got " + len);
            }
        }
    }

    /** Positions that carry a loss, for averaging it. */
    public int numTargets() {
        int n = 0;
        for (long t : targets) {
            if (t != Tokenization.IGNORE) {
                n++;
            }
        }
        return n;
    }
}
