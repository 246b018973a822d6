package org.memsfl.model;

import org.bytedeco.pytorch.Generator;

/**
 * What a forward pass needs besides the hidden states: the adapters to apply (possibly none), whether it is a
 * training pass (adapter dropout on) and the generator its masks are drawn from (null: libtorch's global one), and for
 * generation a KV cache and the position of the first new token.
 */
public record ForwardContext(Adapters adapters, boolean training, KvCache cache, int startPos, Generator rng) {

    public ForwardContext {
        if (startPos < 0) {
            throw new IllegalArgumentException("startPos must be >= 0, got " + startPos);
        }
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

    public static ForwardContext generation(Adapters adapters, KvCache cache, int startPos) {
        return new ForwardContext(adapters, false, cache, startPos, null);
    }
}
