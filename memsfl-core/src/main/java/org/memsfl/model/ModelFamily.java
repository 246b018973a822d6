package org.memsfl.model;

import org.memsfl.util.BadInputException;

/** Architecture families memsfl implements. */
public enum ModelFamily {
    /** Llama-2/3, Mistral, Qwen2: RMSNorm, RoPE, SwiGLU, grouped-query attention. */
    LLAMA,
    /** GPT-2: LayerNorm, learned positions, GELU-tanh, fused c_attn stored as Conv1D. */
    GPT2;

    /** Maps a Hugging Face {@code model_type} to a family. */
    public static ModelFamily fromHfModelType(String modelType, String where) {
        switch (modelType) {
            case "llama": case "mistral": case "qwen2":
                return LLAMA;
            case "gpt2":
                return GPT2;
            default:
                throw new BadInputException(where + ": unknown architecture model_type '" + modelType
                        + "'; supported: llama, mistral, qwen2, gpt2");
        }
    }
}
