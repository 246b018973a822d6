package org.memsfl.cost;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bytes one process holds at its peak (the backward pass of a step), by category, as DESIGN.md section 5 asks
 * every figure to be reported.
 *
 * @param frozenWeights  the frozen base weights it holds, in their dtype
 * @param loraParams     trainable LoRA A and B matrices (float32)
 * @param loraGrads      their gradients (float32)
 * @param optimizerState AdamW's two moments per LoRA parameter (float32)
 * @param activations    tensors the forward keeps for the backward
 * @param buffers        outgoing activation / incoming gradient buffers, token ids and labels, logits and their
 *                       gradient
 */
public record MemoryBreakdown(long frozenWeights, long loraParams, long loraGrads, long optimizerState, long activations,
                              long buffers) {

    public static final MemoryBreakdown ZERO = new MemoryBreakdown(0, 0, 0, 0, 0, 0);

    public MemoryBreakdown {
        nonNegative("frozenWeights", frozenWeights);
        nonNegative("loraParams", loraParams);
        nonNegative("loraGrads", loraGrads);
        nonNegative("optimizerState", optimizerState);
        nonNegative("activations", activations);
        nonNegative("buffers", buffers);
    }

    public long total() {
        return frozenWeights + loraParams + loraGrads + optimizerState + activations + buffers;
    }

    /** LoRA parameters, gradients and optimizer state together: what scales with the adapter count. */
    public long loraState() {
        return loraParams + loraGrads + optimizerState;
    }

    /** Activations and buffers together: what scales with the batch. */
    public long workspace() {
        return activations + buffers;
    }

    public MemoryBreakdown plus(MemoryBreakdown o) {
        return new MemoryBreakdown(frozenWeights + o.frozenWeights, loraParams + o.loraParams, loraGrads + o.loraGrads,
                optimizerState + o.optimizerState, activations + o.activations, buffers + o.buffers);
    }

    /** Snake-case keys for JSON reports, plus {@code total}. */
    public Map<String, Long> toMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("frozen_weights", frozenWeights);
        m.put("lora_params", loraParams);
        m.put("lora_grads", loraGrads);
        m.put("optimizer_state", optimizerState);
        m.put("activations", activations);
        m.put("buffers", buffers);
        m.put("total", total());
        return m;
    }

    private static void nonNegative(String field, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(field + " bytes must be >= 0, got " + v);
        }
    }
}
