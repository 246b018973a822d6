package org.memsfl.cost;

import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraModules;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;

/**
 * Trainable LoRA parameters of a model part, from the shapes of {@link LoraModules}: an adapter on a module with
 * (in, out) sizes holds A (r x in) and B (out x r), so r (in + out) values; the embedding adapter counts
 * r (vocab + dim). The embedding adapter lives wherever the embedding does (the device, in split training).
 */
public final class LoraCounts {

    /** Adapters, their gradients and AdamW moments are float32 whatever the base dtype. */
    public static final int BYTES = 4;

    private LoraCounts() {
    }

    /** LoRA parameters of one transformer block. */
    public static long perLayer(ModelConfig c, LoraConfig lora) {
        long n = 0;
        for (String m : lora.targets()) {
            if (!m.equals(LoraModules.EMBEDDING)) {
                int[] s = LoraModules.shape(c, m);
                n += (long) lora.rank() * (s[0] + s[1]);
            }
        }
        return n;
    }

    /** LoRA parameters the part {@code range} trains. */
    public static long params(ModelConfig c, LoraConfig lora, LayerRange range) {
        long n = perLayer(c, lora) * range.layers();
        if (range.embedding() && lora.targetsEmbedding()) {
            int[] s = LoraModules.shape(c, LoraModules.EMBEDDING);
            n += (long) lora.rank() * (s[0] + s[1]);
        }
        return n;
    }

    /** Parameters, gradients and AdamW's two moments of {@code params} LoRA values, with no weights or activations. */
    public static MemoryBreakdown state(long params) {
        long b = params * BYTES;
        return new MemoryBreakdown(0, b, b, 2 * b, 0, 0);
    }
}
