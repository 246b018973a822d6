package org.memsfl.model;

/**
 * Shape and numerics of a decoder-only model. Validates itself so a bad config.json fails with the field named.
 *
 * @param family       architecture family
 * @param vocabSize    token count of the embedding and LM head
 * @param dim          hidden size (d_model)
 * @param nLayers      transformer blocks
 * @param nHeads       query heads
 * @param nKvHeads     key/value heads (grouped-query attention when fewer than nHeads)
 * @param hiddenDim    MLP inner size
 * @param maxSeqLen    longest sequence (RoPE table / learned positions)
 * @param normEps      epsilon of RMSNorm or LayerNorm
 * @param ropeTheta    RoPE base (llama family; ignored for gpt2)
 * @param tiedEmbeddings LM head shares the token embedding
 * @param qkvBias      q/k/v projections carry a bias (Qwen2; always true for gpt2's c_attn)
 * @param variant      block style, head size, RoPE scaling, sliding windows and soft caps of llama-family types
 *                     ({@link ModelVariant#STANDARD} for plain Llama-2 and for gpt2)
 * @param dropout      dropout inside the base model in training passes ({@link ModelDropout#NONE}: none)
 */
public record ModelConfig(ModelFamily family, int vocabSize, int dim, int nLayers, int nHeads, int nKvHeads,
                          int hiddenDim, int maxSeqLen, double normEps, double ropeTheta, boolean tiedEmbeddings,
                          boolean qkvBias, ModelVariant variant, ModelDropout dropout) {

    /** A config without base-model dropout. */
    public ModelConfig(ModelFamily family, int vocabSize, int dim, int nLayers, int nHeads, int nKvHeads, int hiddenDim,
                       int maxSeqLen, double normEps, double ropeTheta, boolean tiedEmbeddings, boolean qkvBias,
                       ModelVariant variant) {
        this(family, vocabSize, dim, nLayers, nHeads, nKvHeads, hiddenDim, maxSeqLen, normEps, ropeTheta, tiedEmbeddings,
                qkvBias, variant, ModelDropout.NONE);
    }

    /** A plain Llama-2-style (or gpt2) config: {@link ModelVariant#STANDARD}. */
    public ModelConfig(ModelFamily family, int vocabSize, int dim, int nLayers, int nHeads, int nKvHeads, int hiddenDim,
                       int maxSeqLen, double normEps, double ropeTheta, boolean tiedEmbeddings, boolean qkvBias) {
        this(family, vocabSize, dim, nLayers, nHeads, nKvHeads, hiddenDim, maxSeqLen, normEps, ropeTheta, tiedEmbeddings,
                qkvBias, ModelVariant.STANDARD);
    }

    public ModelConfig {
        if (family == null) {
            throw new IllegalArgumentException("family must be set");
        }
        positive("vocab_size", vocabSize);
        positive("dim", dim);
        positive("n_layers", nLayers);
        positive("n_heads", nHeads);
        positive("n_kv_heads", nKvHeads);
        positive("hidden_dim", hiddenDim);
        positive("max_seq_len", maxSeqLen);
        if (variant == null) {
            throw new IllegalArgumentException("variant must be set (ModelVariant.STANDARD for plain Llama-2)");
        }
        if (dropout == null) {
            throw new IllegalArgumentException("dropout must be set (ModelDropout.NONE for none)");
        }
        if (variant.headDim() == 0 && dim % nHeads != 0) {
            throw new IllegalArgumentException("dim must be divisible by n_heads, got dim=" + dim + " n_heads=" + nHeads);
        }
        if (family == ModelFamily.GPT2 && !variant.equals(ModelVariant.STANDARD)) {
            throw new IllegalArgumentException("gpt2 has no llama-family variant, got " + variant);
        }
        if (!variant.slidingLayers().isEmpty() && variant.slidingLayers().size() != nLayers) {
            throw new IllegalArgumentException("sliding layer list has " + variant.slidingLayers().size()
                    + " entries for " + nLayers + " layers");
        }
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("n_heads must be a multiple of n_kv_heads, got " + nHeads + " and " + nKvHeads);
        }
        if (family == ModelFamily.LLAMA && (variant.headDim() > 0 ? variant.headDim() : dim / nHeads) % 2 != 0) {
            throw new IllegalArgumentException("head size must be even for RoPE, got "
                    + (variant.headDim() > 0 ? variant.headDim() : dim / nHeads));
        }
        if (!(normEps > 0)) {
            throw new IllegalArgumentException("norm eps must be > 0, got " + normEps);
        }
    }

    /** This config with base-model dropout {@code d}. */
    public ModelConfig withDropout(ModelDropout d) {
        return new ModelConfig(family, vocabSize, dim, nLayers, nHeads, nKvHeads, hiddenDim, maxSeqLen, normEps, ropeTheta,
                tiedEmbeddings, qkvBias, variant, d);
    }

    /** Per-head size: {@code head_dim} where the config sets it (Qwen3, Gemma), else dim / heads. */
    public int headDim() {
        return variant.headDim() > 0 ? variant.headDim() : dim / nHeads;
    }

    /** Output size of the query projection: heads * head_dim (not always dim). */
    public int qDim() {
        return headDim() * nHeads;
    }

    public int kvDim() {
        return headDim() * nKvHeads;
    }

    private static void positive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + v);
        }
    }
}
