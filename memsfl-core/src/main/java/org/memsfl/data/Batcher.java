package org.memsfl.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Collates tokenised examples into right-padded batches. */
public final class Batcher {

    /** Any id works under a -100 target; 0 is valid in every vocabulary. */
    public static final long PAD_ID = 0;

    private Batcher() {
    }

    /** One batch of all {@code examples}; seqLen = min(maxSeqLen, longest example), longer ones are cut. */
    public static Batch collate(List<TokenizedExample> examples, int maxSeqLen) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("examples must not be empty");
        }
        if (maxSeqLen <= 0) {
            throw new IllegalArgumentException("maxSeqLen must be > 0, got " + maxSeqLen);
        }
        int longest = 0;
        for (TokenizedExample e : examples) {
            if (e.length() == 0) {
                throw new IllegalArgumentException("examples must have length > 0, got an empty one (client '"
                        + e.clientKey() + "')");
            }
            longest = Math.max(longest, e.length());
        }
        int seqLen = Math.min(maxSeqLen, longest);
        int b = examples.size();
        long[] inputs = new long[b * seqLen];
        long[] targets = new long[b * seqLen];
        Arrays.fill(inputs, PAD_ID);
        Arrays.fill(targets, Tokenization.IGNORE);
        int[] lengths = new int[b];
        for (int row = 0; row < b; row++) {
            TokenizedExample e = examples.get(row);
            int len = Math.min(seqLen, e.length());
            lengths[row] = len;
            for (int t = 0; t < len; t++) {
                inputs[row * seqLen + t] = e.inputs()[t];
                targets[row * seqLen + t] = e.targets()[t];
            }
        }
        return new Batch(inputs, targets, lengths, b, seqLen);
    }

    /** Batches in list order, for evaluation; the last one may be smaller. */
    public static List<Batch> sequential(List<TokenizedExample> examples, int batchSize, int maxSeqLen) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        List<Batch> out = new ArrayList<>();
        for (int from = 0; from < examples.size(); from += batchSize) {
            out.add(collate(examples.subList(from, Math.min(examples.size(), from + batchSize)), maxSeqLen));
        }
        return out;
    }
}
