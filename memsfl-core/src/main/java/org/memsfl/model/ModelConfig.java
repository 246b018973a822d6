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
 */
public record ModelConfig(ModelFamily family, int vocabSize, int dim, int nLayers, int nHeads, int nKvHeads,
                          int hiddenDim, int maxSeqLen, double normEps, double ropeTheta, boolean tiedEmbeddings,
                          boolean qkvBias) {

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
        if (dim % nHeads != 0) {
            throw new IllegalArgumentException("dim must be divisible by n_heads, got dim=" + dim + " n_heads=" + nHeads);
        }
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("n_heads must be a multiple of n_kv_heads, got " + nHeads + " and " + nKvHeads);
        }
        if (family == ModelFamily.LLAMA && (dim / nHeads) % 2 != 0) {
            throw new IllegalArgumentException("head size must be even for RoPE, got " + dim / nHeads);
        }
        if (!(normEps > 0)) {
            throw new IllegalArgumentException("norm eps must be > 0, got " + normEps);
        }
    }

    public int headDim() {
        return dim / nHeads;
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
