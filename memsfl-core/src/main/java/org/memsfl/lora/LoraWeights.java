package org.memsfl.lora;

import org.bytedeco.pytorch.Tensor;

/**
 * One adapter's trainable pair.
 *
 * @param a (rank, in): projects the input down; for the embedding (rank, vocab)
 * @param b (out, rank): projects back up, zero at initialisation so training starts from the base model
 */
public record LoraWeights(Tensor a, Tensor b) {

    public long numel() {
        return a.numel() + b.numel();
    }
}
