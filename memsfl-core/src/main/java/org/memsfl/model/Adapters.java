package org.memsfl.model;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;

/**
 * What a forward pass adds to the frozen weights: the low-rank updates of LoRA (Hu et al. 2021), looked up per
 * layer and module. The model only asks for updates; the adapters themselves (their keys, files, aggregation) live
 * in {@code org.memsfl.lora}, whose {@code AdapterSet} implements this, so the model package does not depend on the
 * adapter package.
 */
public interface Adapters {

    /**
     * {@code scale * B A dropout(x)} for module {@code module} of layer {@code layer}, or null when that module has no
     * adapter.
     *
     * @param x        (..., in) the module's input
     * @param training whether adapter dropout applies
     * @param rng      the generator dropout masks are drawn from (null: libtorch's global one)
     * @return (..., out), or null
     */
    Tensor update(int layer, String module, Tensor x, boolean training, Generator rng);

    /**
     * The embedding adapter's update for token ids (PEFT's embedding LoRA), or null when the embedding has none.
     *
     * @param ids (B, T) int64
     * @return (B, T, dim), or null
     */
    Tensor embeddingUpdate(Tensor ids);
}
