package org.memsfl.data;

import java.util.Objects;

/**
 * An example ready for next-token training, already shifted: {@code inputs[t]} is fed at position t and
 * {@code targets[t]} is the token the model must predict there (the token at t+1 of the full sequence), or
 * {@link Tokenization#IGNORE} (-100) where no loss is taken (prompt tokens). The loss is plain cross entropy of
 * logits[t] against targets[t], skipping -100.
 */
public record TokenizedExample(int[] inputs, int[] targets, String clientKey) {

    public TokenizedExample {
        Objects.requireNonNull(inputs, "inputs must not be null");
        Objects.requireNonNull(targets, "targets must not be null");
        Objects.requireNonNull(clientKey, "clientKey must not be null");
        if (inputs.length != targets.length) {
            throw new IllegalArgumentException("inputs and targets must have the same length, got " + inputs.length
                    + " and " + targets.length);
        }
        for (int t : targets) {
            if (t < 0 && t != Tokenization.IGNORE) {
                throw new IllegalArgumentException("targets must be >= 0 or " + Tokenization.IGNORE + ", got " + t);
            }
        }
    }

    public int length() {
        return inputs.length;
    }

    /** Positions that carry a loss. */
    public int numTargets() {
        int n = 0;
        for (int t : targets) {
            if (t != Tokenization.IGNORE) {
                n++;
            }
        }
        return n;
    }
}
