package org.memsfl.model;

import org.bytedeco.pytorch.Generator;

/**
 * What a forward pass needs besides the hidden states: the adapters to apply (possibly none), whether it is a
 * training pass (adapter dropout on) and the generator its masks are drawn from (null: libtorch's global one), and for
 * generation a KV cache, the position of the first new token and, for a batch of prompts of different lengths that
 * were left-padded to one length, how many pad positions each row starts with ({@code padLeft}, null when none):
 * no real query attends to a pad key. Because RoPE makes attention depend only on relative positions, a left-padded
 * llama-family row gives the same logits as the prompt alone; gpt2's absolute positions do not allow this.
 *
 * <p>A training pass of a model with base-model dropout ({@link ModelDropout}) also needs {@code dropout}, the key its
 * masks are drawn from ({@link DropoutKey}); null elsewhere.
 */
public record ForwardContext(Adapters adapters, boolean training, KvCache cache, int startPos, Generator rng,
        int[] padLeft, DropoutKey dropout) {

    public ForwardContext {
        if (startPos < 0) {
            throw new IllegalArgumentException("startPos must be >= 0, got " + startPos);
        }
        if (padLeft != null) {
            for (int p : padLeft) {
                if (p < 0) {
                    throw new IllegalArgumentException("padLeft entries must be >= 0, got " + p);
                }
            }
        }
    }

    public ForwardContext(Adapters adapters, boolean training, KvCache cache, int startPos, Generator rng,
                          int[] padLeft) {
        this(adapters, training, cache, startPos, rng, padLeft, null);
    }

    public ForwardContext(Adapters adapters, boolean training, KvCache cache, int startPos, Generator rng) {
        this(adapters, training, cache, startPos, rng, null, null);
    }

    /** This context with base-model dropout masks drawn from {@code key}. */
    public ForwardContext withDropout(DropoutKey key) {
        return new ForwardContext(adapters, training, cache, startPos, rng, padLeft, key);
    }

    public static ForwardContext inference(Adapters adapters) {
        return new ForwardContext(adapters, false, null, 0, null);
    }

    public static ForwardContext training(Adapters adapters) {
        return new ForwardContext(adapters, true, null, 0, null);
    }

    /** A training pass whose adapter dropout draws from {@code rng}. */
    public static ForwardContext training(Adapters adapters, Generator rng) {
        return new ForwardContext(adapters, true, null, 0, rng);
    }

    /** A training pass whose adapter dropout draws from {@code rng} and base-model dropout from {@code key}. */
    public static ForwardContext training(Adapters adapters, Generator rng, DropoutKey key) {
        return new ForwardContext(adapters, true, null, 0, rng, null, key);
    }

    public static ForwardContext generation(Adapters adapters, KvCache cache, int startPos) {
        return new ForwardContext(adapters, false, cache, startPos, null);
    }

    /** Generation for a left-padded batch: row b begins with {@code padLeft[b]} pad positions. */
    public static ForwardContext generation(Adapters adapters, KvCache cache, int startPos, int[] padLeft) {
        return new ForwardContext(adapters, false, cache, startPos, null, padLeft.clone());
    }
}
