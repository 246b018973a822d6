package org.memsfl.lora;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * LoRA hyper-parameters. The update is {@code (alpha / rank) * B A x} with A (rank x in) and B (out x rank).
 *
 * @param rank    r, the inner size of the update
 * @param alpha   scale numerator; the update is scaled by alpha / rank
 * @param dropout dropout on the adapter's input while training, in [0, 1)
 * @param targets module names (see {@link LoraModules}), e.g. q and v
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets) {

    public LoraConfig {
        if (rank <= 0) {
            throw new IllegalArgumentException("lora rank must be > 0, got " + rank);
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("lora alpha must be > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
        }
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("lora targets must name at least one module, e.g. q,v");
        }
        Set<String> unique = new TreeSet<>(targets);
        if (unique.size() != targets.size()) {
            throw new IllegalArgumentException("lora targets repeat a module: " + targets);
        }
        targets = List.copyOf(targets);
    }

    /** Rank 8, alpha 16, no dropout, q and v: the LoRA paper's GPT-2 setting. */
    public static LoraConfig defaults() {
        return new LoraConfig(8, 16, 0.0, List.of("q", "v"));
    }

    public double scale() {
        return alpha / rank;
    }

    public boolean targetsEmbedding() {
        return targets.contains(LoraModules.EMBEDDING);
    }
}
