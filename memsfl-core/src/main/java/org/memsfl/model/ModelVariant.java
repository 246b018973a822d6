package org.memsfl.model;

import java.util.List;

/**
 * What distinguishes one llama-family checkpoint type from another beyond the shapes of {@link ModelConfig}: the block
 * style, a head size independent of hidden/heads, RoPE scaling, sliding-window layers, the attention scale and
 * soft-capping. {@link #STANDARD} is plain Llama-2 (and what llama2.c and gpt2 configs carry).
 *
 * @param style              block layout (see {@link Style})
 * @param headDim            per-head size; 0 means hidden_size / num_attention_heads
 * @param rope               scaling of the (global layers') rotary frequencies
 * @param localRopeTheta     RoPE base of sliding-window layers (Gemma-3's {@code rope_local_base_freq}, unscaled);
 *                           0 means the same RoPE as the other layers
 * @param slidingWindow      keys a query may see, itself included ({@code sliding_window}); 0 means full attention
 * @param slidingLayers      per layer, whether it uses the window; empty means every layer does (when the window is set)
 * @param queryPreAttnScalar attention logits are scaled by its inverse square root; 0 means head_dim (Gemma's
 *                           {@code query_pre_attn_scalar})
 * @param attnSoftcap        {@code cap * tanh(logit / cap)} on attention logits; 0 means none
 * @param finalSoftcap       the same on the LM head's logits; 0 means none
 */
public record ModelVariant(Style style, int headDim, RopeScaling rope, double localRopeTheta, int slidingWindow,
                           List<Boolean> slidingLayers, double queryPreAttnScalar, double attnSoftcap,
                           double finalSoftcap) {

    /** Block layouts of the llama family. */
    public enum Style {
        /** Llama-2/3, Mistral, Qwen2: RMSNorm, SwiGLU, separate q/k/v and gate/up. */
        LLAMA,
        /** Qwen3: LLAMA plus a per-head RMSNorm on q and k before RoPE. */
        QWEN3,
        /** Gemma-2: (1 + w) RMSNorm, four norms per block, GeGLU (tanh), embeddings scaled by sqrt(hidden). */
        GEMMA2,
        /** Gemma-3 text: GEMMA2 plus per-head (1 + w) RMSNorm on q and k. */
        GEMMA3,
        /** Phi-3: LLAMA with fused qkv_proj and gate_up_proj. */
        PHI3;

        public boolean gemma() {
            return this == GEMMA2 || this == GEMMA3;
        }

        public boolean qkNorm() {
            return this == QWEN3 || this == GEMMA3;
        }

        public boolean fused() {
            return this == PHI3;
        }
    }

    public static final ModelVariant STANDARD = new ModelVariant(Style.LLAMA, 0, RopeScaling.NONE, 0, 0, List.of(), 0, 0,
            0);

    public ModelVariant {
        if (style == null || rope == null || slidingLayers == null) {
            throw new IllegalArgumentException("style, rope and slidingLayers must be set");
        }
        if (headDim < 0 || slidingWindow < 0 || localRopeTheta < 0 || queryPreAttnScalar < 0 || attnSoftcap < 0
                || finalSoftcap < 0) {
            throw new IllegalArgumentException("head_dim, sliding_window, rope_local_base_freq, query_pre_attn_scalar and "
                    + "soft caps must be >= 0");
        }
        slidingLayers = List.copyOf(slidingLayers);
    }

    /** Whether layer {@code layer} attends within {@link #slidingWindow} only. */
    public boolean sliding(int layer) {
        return slidingWindow > 0 && (slidingLayers.isEmpty() || slidingLayers.get(layer));
    }

    public ModelVariant withHeadDim(int hd) {
        return new ModelVariant(style, hd, rope, localRopeTheta, slidingWindow, slidingLayers, queryPreAttnScalar,
                attnSoftcap, finalSoftcap);
    }

    public ModelVariant withStyle(Style s) {
        return new ModelVariant(s, headDim, rope, localRopeTheta, slidingWindow, slidingLayers, queryPreAttnScalar,
                attnSoftcap, finalSoftcap);
    }
}
