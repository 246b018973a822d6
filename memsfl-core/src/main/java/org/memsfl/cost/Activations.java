package org.memsfl.cost;

import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraModules;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;

/**
 * Activation elements the forward keeps for the backward, per token, read off the forward of {@code LlamaModel},
 * {@code Gpt2Model} and {@code Lora} in the style of Korthikanti et al., "Reducing Activation Recomputation in Large
 * Transformer Models" (2022). Rules:
 * <ul>
 *   <li>The input of every linear is counted once per distinct tensor (q, k and v share one input). This is an upper
 *       bound for a frozen linear without an adapter, whose input gradient needs only the weight, and exact for an
 *       adapted one, whose A gradient needs the input.</li>
 *   <li>Norms keep their input plus one (RMSNorm) or two (LayerNorm) statistics per token.</li>
 *   <li>Attention is the fused kernel ({@code scaled_dot_product_attention}): it keeps q, k (after RoPE), v, its
 *       output and one log-sum-exp per head and token, and no (T x T) score matrix. The math path, which does keep
 *       the softmax probabilities, is {@code MemoryModel.fusedAttention == false}.</li>
 *   <li>The attention output is counted twice: the kernel keeps its (B, heads, T, hd) output, and the transpose and
 *       reshape before the output projection make a second, contiguous (B, T, d) copy that the projection keeps.</li>
 *   <li>Element-wise products keep both operands (SwiGLU's SiLU output and up projection), GELU and SiLU keep their
 *       input, residual additions and RoPE's multiplications by constant tables keep nothing.</li>
 *   <li>A LoRA update keeps its rank-r intermediate A x for B's gradient (A's gradient uses the module input, already
 *       counted); with dropout it also keeps the dropped copy of the input and a one-byte mask per element.</li>
 * </ul>
 * Caveat for validation against process RSS (DESIGN.md section 5): the engine frees native tensors when a step's
 * scope closes, so a process may hold forward temporaries (pre-RoPE q and k, residual sums, projection outputs) that
 * autograd itself would have released; measured peaks can exceed this count by those temporaries.
 */
public final class Activations {

    private Activations() {
    }

    /**
     * One block of the frozen base, per token, in elements. Llama: input norm input d, shared q/k/v input d, q k v
     * d + 2 kv, attention output d + heads, o_proj input d, post-attention norm input d, shared gate/up input d, SiLU
     * input h, SiLU output and up output 2h, down input h, two RMS statistics: 6d + 2kv + 4h + heads + 2, where the
     * three attention-side d are q = heads * head_dim when head_dim is set apart from hidden/heads (3d + 3q + ...).
     * Gemma's two extra norms and Qwen3/Gemma-3's per-head norms are not counted (under 3% at their shapes).
     * GPT-2: ln_1 input d, c_attn input d, q k v 3d, attention output d + heads, c_proj input d, ln_2 input d, c_fc
     * input d, GELU input h, mlp c_proj input h, two LayerNorm statistics each: 9d + 2h + heads + 4.
     */
    public static long blockPerToken(ModelConfig c) {
        long d = c.dim();
        long h = c.hiddenDim();
        long heads = c.nHeads();
        if (c.family() == ModelFamily.LLAMA) {
            // q and the attention output are heads * head_dim wide (Qwen3, Gemma: not always d)
            long q = c.qDim();
            return 3 * d + 3 * q + 2L * c.kvDim() + 4 * h + heads + 2;
        }
        return 9 * d + 2 * h + heads + 4;
    }

    /** The adapters of one block, per token, in elements: r per adapted module, plus the dropped input with dropout. */
    public static long loraPerToken(ModelConfig c, LoraConfig lora) {
        long n = 0;
        for (String m : lora.targets()) {
            if (!m.equals(LoraModules.EMBEDDING)) {
                n += lora.rank() + (lora.dropout() > 0 ? LoraModules.shape(c, m)[0] : 0);
            }
        }
        return n;
    }

    /** Dropout masks of one block's adapters, per token, in bytes (one byte per input element). */
    public static long loraMaskBytesPerToken(ModelConfig c, LoraConfig lora) {
        if (lora.dropout() == 0) {
            return 0;
        }
        long n = 0;
        for (String m : lora.targets()) {
            if (!m.equals(LoraModules.EMBEDDING)) {
                n += LoraModules.shape(c, m)[0];
            }
        }
        return n;
    }

    /** The embedding adapter, per token, in elements: the r looked-up rows of A that B's gradient needs. */
    public static long embeddingPerToken(ModelConfig c, LoraConfig lora) {
        return lora.targetsEmbedding() ? lora.rank() : 0;
    }

    /**
     * Final norm and LM head, per token, in elements: the norm's input and statistics, the head's input, and the
     * log-probabilities the cross entropy keeps (vocab). The logits and their gradient are buffers, not counted here.
     */
    public static long headPerToken(ModelConfig c) {
        long stats = c.family() == ModelFamily.LLAMA ? 1 : 2;
        return 2L * c.dim() + stats + c.vocabSize();
    }
}
