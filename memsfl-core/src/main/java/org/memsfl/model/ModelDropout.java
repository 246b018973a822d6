package org.memsfl.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dropout inside the frozen base model, as the checkpoint's {@code config.json} sets it and as transformers applies it
 * whenever the model is in train mode (PEFT fine-tuning included). Off in evaluation and generation. Each probability
 * is in [0, 1); 0 means off, and a model whose probabilities are all 0 computes exactly what it computes without them.
 *
 * <p>Sites, as transformers' modeling files place them:
 * <ul>
 *   <li>{@code embedding}: gpt2's {@code embd_pdrop}, on token plus position embeddings ({@code GPT2Model.drop});</li>
 *   <li>{@code attention}: gpt2's {@code attn_pdrop} and the llama family's {@code attention_dropout}, on the
 *       attention probabilities after the softmax ({@code eager_attention_forward}'s dropout);</li>
 *   <li>{@code residual}: gpt2's {@code resid_pdrop} and Phi-3's {@code resid_pdrop}, on the attention block's output
 *       (after its output projection) and on the MLP's output, before each is added to the residual stream.</li>
 * </ul>
 * Phi-3's {@code embd_pdrop} is not a site: transformers' {@code Phi3Model} builds an {@code embed_dropout} module in
 * older releases but never calls it, and the current one has none, so memsfl reads the key and applies nothing.
 *
 * @param embedding probability on the embeddings
 * @param attention probability on the attention probabilities
 * @param residual  probability on each sub-block's output before the residual add
 */
public record ModelDropout(double embedding, double attention, double residual) {

    /** No dropout anywhere. */
    public static final ModelDropout NONE = new ModelDropout(0, 0, 0);

    public ModelDropout {
        check("embedding", embedding);
        check("attention", attention);
        check("residual", residual);
    }

    private static void check(String site, double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException(site + " dropout must be in [0, 1), got " + p);
        }
    }

    /** Whether any site drops anything (in a training pass). */
    public boolean any() {
        return embedding > 0 || attention > 0 || residual > 0;
    }

    /** {@code embedding}, {@code attention}, {@code residual} for manifests and {@code info}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("embedding", embedding);
        m.put("attention", attention);
        m.put("residual", residual);
        return m;
    }
}
