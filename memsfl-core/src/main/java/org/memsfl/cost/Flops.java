package org.memsfl.cost;

import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraModules;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;

/**
 * Floating-point operations from shapes (a multiply-add counts 2): a matmul (m x k)(k x n) is 2mkn; attention is
 * 4 B T^2 d per layer (scores and the weighted sum). With a frozen base, backward needs the input gradient of every
 * matmul (the same cost as its forward) but no weight gradient; attention's backward is twice its forward; LoRA
 * matrices take both gradients. Norms, activations and softmax are ignored (they are O(B T d)).
 */
public final class Flops {

    private Flops() {
    }

    /** Forward matmul FLOPs of one block's frozen linears for B*T tokens. */
    public static double layerLinearForward(ModelConfig c, long tokens) {
        double d = c.dim();
        double h = c.hiddenDim();
        double perToken = c.family() == ModelFamily.LLAMA
                ? d * c.qDim() + 2 * d * c.kvDim() + c.qDim() * d + 3 * d * h
                : 3 * d * d + d * d + 2 * d * h;
        return 2 * tokens * perToken;
    }

    /** Forward attention FLOPs of one block (causal attention is computed densely by the fused kernel). */
    public static double layerAttentionForward(ModelConfig c, long batch, long seqLen) {
        return 4.0 * batch * seqLen * seqLen * (c.family() == ModelFamily.LLAMA ? c.qDim() : c.dim());
    }

    /** Forward FLOPs of one layer's adapters. */
    public static double layerLoraForward(ModelConfig c, LoraConfig lora, long tokens) {
        double f = 0;
        for (String m : lora.targets()) {
            if (m.equals(LoraModules.EMBEDDING)) {
                continue;
            }
            int[] s = LoraModules.shape(c, m);
            f += 2.0 * tokens * lora.rank() * (s[0] + s[1]);
        }
        return f;
    }

    /** LM head forward. */
    public static double headForward(ModelConfig c, long tokens) {
        return 2.0 * tokens * c.dim() * c.vocabSize();
    }

    /** Forward FLOPs of layers [from, to). */
    public static double layersForward(ModelConfig c, LoraConfig lora, long batch, long seqLen, int from, int to) {
        long tokens = batch * seqLen;
        double per = layerLinearForward(c, tokens) + layerAttentionForward(c, batch, seqLen)
                + (lora == null ? 0 : layerLoraForward(c, lora, tokens));
        return per * (to - from);
    }

    /** Backward FLOPs of layers [from, to) with a frozen base and trainable adapters. */
    public static double layersBackward(ModelConfig c, LoraConfig lora, long batch, long seqLen, int from, int to) {
        long tokens = batch * seqLen;
        double per = layerLinearForward(c, tokens) + 2 * layerAttentionForward(c, batch, seqLen)
                + (lora == null ? 0 : 2 * layerLoraForward(c, lora, tokens));
        return per * (to - from);
    }

    /** One LoRA training step of the whole model: forward, backward to the first adapted layer, head both ways. */
    public static double trainStep(ModelConfig c, LoraConfig lora, long batch, long seqLen) {
        long tokens = batch * seqLen;
        return layersForward(c, lora, batch, seqLen, 0, c.nLayers()) + layersBackward(c, lora, batch, seqLen, 0, c.nLayers())
                + 2 * headForward(c, tokens);
    }
}
