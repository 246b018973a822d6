package org.memsfl.lora;

import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.model.DecoderModel;

/**
 * Folds adapters into the frozen weights ({@code W += scale * B A}) so inference pays nothing for them, and takes
 * them out again. In place on the model's tensors; unmerge after merge restores W up to float rounding.
 */
public final class LoraMerge {

    private LoraMerge() {
    }

    public static void merge(DecoderModel model, AdapterSet adapters) {
        apply(model, adapters, 1.0);
    }

    public static void unmerge(DecoderModel model, AdapterSet adapters) {
        apply(model, adapters, -1.0);
    }

    /** The dense update of one adapter in the weight's layout: (out, in), or (vocab, dim) for the embedding. */
    public static Tensor delta(LoraWeights w, double scale, boolean embedding) {
        Tensor ba = w.b().detach().matmul(w.a().detach()).mul(new Scalar(scale)); // (out, in) or (dim, vocab)
        return embedding ? ba.t() : ba;
    }

    private static void apply(DecoderModel model, AdapterSet adapters, double sign) {
        if (adapters.embedding() != null && model.config().tiedEmbeddings()) {
            // the LM head shares the table: folding the update in would change the head too, unlike the adapter
            throw new IllegalArgumentException("cannot merge an embedding adapter into a model whose LM head is tied to"
                    + " the token embedding; keep the adapter separate");
        }
        double scale = adapters.config().scale() * sign;
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Map.Entry<String, LoraWeights> e : adapters.asMap().entrySet()) {
                WeightSlot slot = WeightSlot.of(model.config(), e.getKey());
                Tensor w = model.weights().get(slot.weightName());
                if (w == null) {
                    continue; // this model part does not hold the layer
                }
                Tensor d = delta(e.getValue(), scale, e.getKey().equals(LoraModules.EMBEDDING)).to(w.scalar_type());
                w.narrow(0, slot.rowOffset(), slot.rows()).add_(d);
            }
        }
    }
}
