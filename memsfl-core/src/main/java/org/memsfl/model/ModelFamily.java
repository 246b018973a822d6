package org.memsfl.model;

import org.memsfl.util.BadInputException;

/** Architecture families memsfl implements. */
public enum ModelFamily {
    /**
     * Llama-2/3, Mistral, Qwen2/3, Gemma-2/3 text, Phi-3: RMSNorm, RoPE, gated MLP, grouped-query attention, weights
     * under {@code model.layers.<i>.}; the differences between these types are a {@link ModelVariant}.
     */
    LLAMA,
    /** GPT-2: LayerNorm, learned positions, GELU-tanh, fused c_attn stored as Conv1D. */
    GPT2;

    /** Maps a Hugging Face {@code model_type} to a family. */
    public static ModelFamily fromHfModelType(String modelType, String where) {
        switch (modelType) {
            case "llama": case "mistral": case "qwen2": case "qwen3": case "gemma2": case "gemma3_text": case "phi3":
                return LLAMA;
            case "gpt2":
                return GPT2;
            default:
                throw new BadInputException(where + ": unknown architecture model_type '" + modelType
                        + "'; supported: llama, mistral, qwen2, qwen3, gemma2, gemma3_text, phi3, gpt2"
                        + (modelType.equals("gemma3") ? " (for Gemma-3 use the text-only checkpoint, gemma3_text)" : ""));
        }
    }
}
