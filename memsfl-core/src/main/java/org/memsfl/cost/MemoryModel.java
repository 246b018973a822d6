package org.memsfl.cost;

import java.util.Map;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.Attention;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.Models;
import org.memsfl.quant.WeightStorage;
import org.memsfl.train.ChunkedHeadLoss;

/**
 * Peak bytes of a model part during one LoRA training step, by category (DESIGN.md section 5): frozen weights counted
 * exactly from {@link Models#shapes}, LoRA parameters, gradients and AdamW moments from {@link LoraCounts},
 * activations kept for the backward from {@link Activations}, and the buffers of the split hand-off and the loss.
 *
 * @param model           the model's shape
 * @param lora            the adapters trained
 * @param batch           sequences per step, B >= 1
 * @param seqLen          tokens per sequence, T >= 1
 * @param weightBytes     bytes per frozen weight (4 for fp32, 2 for fp16/bf16)
 * @param activationBytes bytes per activation element (the compute dtype's width)
 * @param fusedAttention  attention may run as the fused kernel where the engine uses it (no (T x T) tensor kept);
 *                        false forces the math path everywhere. Even when true, the engine runs the math path (and
 *                        this model counts its (B, heads, T, T) tensors, {@link #attentionScoreBytes}) in a training
 *                        pass with attention dropout, with attention-logit soft-capping, and in half precision while
 *                        the float32 scores fit {@code Attention.UNFUSED_SCORE_BYTES} (the rules of
 *                        {@code org.memsfl.model.Attention})
 */
public record MemoryModel(ModelConfig model, LoraConfig lora, int batch, int seqLen, int weightBytes,
                          int activationBytes, boolean fusedAttention) {

    /** Token ids and labels are int64. */
    static final int ID_BYTES = 8;

    public MemoryModel {
        if (model == null || lora == null) {
            throw new IllegalArgumentException("memory model needs a model config and a LoRA config");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (seqLen < 1) {
            throw new IllegalArgumentException("seqLen must be >= 1, got " + seqLen);
        }
        if (weightBytes != 2 && weightBytes != 4 && weightBytes != 8) {
            throw new IllegalArgumentException("weightBytes must be 2, 4 or 8, got " + weightBytes);
        }
        if (activationBytes != 2 && activationBytes != 4 && activationBytes != 8) {
            throw new IllegalArgumentException("activationBytes must be 2, 4 or 8, got " + activationBytes);
        }
    }

    /** fp32 weights and activations, attention as the engine runs it. */
    public static MemoryModel of(ModelConfig model, LoraConfig lora, int batch, int seqLen) {
        return new MemoryModel(model, lora, batch, seqLen, 4, 4, true);
    }

    public MemoryModel withBatch(int newBatch) {
        return new MemoryModel(model, lora, newBatch, seqLen, weightBytes, activationBytes, fusedAttention);
    }

    public MemoryModel withFusedAttention(boolean fused) {
        return new MemoryModel(model, lora, batch, seqLen, weightBytes, activationBytes, fused);
    }

    public int nLayers() {
        return model.nLayers();
    }

    public long tokens() {
        return (long) batch * seqLen;
    }

    /** Bytes of the frozen weights a part holds, counted tensor by tensor. */
    public long frozenBytes(LayerRange range) {
        long n = 0;
        for (Map.Entry<String, long[]> e : Models.shapes(model, range).entrySet()) {
            long numel = 1;
            for (long s : e.getValue()) {
                numel *= s;
            }
            n += numel;
        }
        return n * weightBytes;
    }

    /** Activation bytes one block keeps for B x T tokens, adapters and (unfused) attention tensors included. */
    public long layerActivationBytes() {
        long perToken = (Activations.blockPerToken(model) + Activations.loraPerToken(model, lora)) * activationBytes
                + Activations.loraMaskBytesPerToken(model, lora);
        return tokens() * perToken + attentionScoreBytes();
    }

    /** Whether a training pass runs this model's attention unfused (the math path of {@code Attention}). */
    public boolean unfusedAttention() {
        boolean halfFits = activationBytes < 4 && scoreElements() * 4 <= Attention.UNFUSED_SCORE_BYTES;
        return !fusedAttention || model.variant().attnSoftcap() > 0 || model.dropout().attention() > 0 || halfFits;
    }

    /**
     * Bytes one layer's unfused attention keeps for the backward beyond q, k, v and the output ({@link Activations}),
     * 0 when it runs fused. Per element of the (B, heads, T, T) scores, at the compute dtype's width a: the
     * probabilities (a, kept by the product with v and by the softmax); with soft-capping the tanh output (a) and,
     * in half precision, the float32 softmax output (4); with attention dropout the scaled keep-mask and the dropped
     * probabilities (2a, {@code DropoutKey.apply}'s product). With grouped-query attention the math path also keeps
     * k and v repeated to every query head: 2 x heads x head_dim per token.
     */
    public long attentionScoreBytes() {
        if (!unfusedAttention()) {
            return 0;
        }
        long perElement = activationBytes;
        if (model.variant().attnSoftcap() > 0) {
            perElement += activationBytes + (activationBytes < 4 ? 4 : 0);
        }
        if (model.dropout().attention() > 0) {
            perElement += 2L * activationBytes;
        }
        long repeatedKv = model.nKvHeads() < model.nHeads() ? tokens() * 2L * model.qDim() * activationBytes : 0;
        return scoreElements() * perElement + repeatedKv;
    }

    /**
     * Transient bytes of one unfused layer's attention backward: the probabilities' and the scores' gradients, two
     * (B, heads, T, T) tensors at the compute dtype's width; 0 when attention runs fused.
     */
    public long attentionBackwardBytes() {
        return unfusedAttention() ? 2 * scoreElements() * activationBytes : 0;
    }

    private long scoreElements() {
        return (long) batch * model.nHeads() * seqLen * seqLen;
    }

    /** One (B, T, d) hidden-state tensor: the cut activation, or its gradient. */
    public long hiddenBytes() {
        return tokens() * model.dim() * activationBytes;
    }

    /** The logits (B, T, V), or their gradient. */
    public long logitsBytes() {
        return tokens() * model.vocabSize() * activationBytes;
    }

    /**
     * A device with cut c: embedding and layers [0, c) with their adapters; buffers are the outgoing cut activation,
     * the incoming gradient, and the token ids and labels (int64).
     */
    public MemoryBreakdown device(int cut) {
        checkCut(cut);
        LayerRange r = LayerRange.deviceSegment(cut);
        long act = cut * layerActivationBytes() + tokens() * Activations.embeddingPerToken(model, lora) * activationBytes;
        long buffers = 2 * hiddenBytes() + 2 * tokens() * ID_BYTES + (cut > 0 ? attentionBackwardBytes() : 0);
        return part(r, act, buffers);
    }

    /**
     * The server side of a device with cut c: layers [c, N), final norm and LM head with their adapters; buffers are
     * the incoming cut activation, the outgoing gradient, the labels, the logits and the logits' gradient.
     */
    public MemoryBreakdown serverSegment(int cut) {
        checkCut(cut);
        LayerRange r = LayerRange.serverSegment(cut, model.nLayers());
        long act = (model.nLayers() - cut) * layerActivationBytes() + tokens() * Activations.headPerToken(model) * activationBytes;
        long buffers = 2 * hiddenBytes() + tokens() * ID_BYTES + 2 * logitsBytes()
                + (cut < model.nLayers() ? attentionBackwardBytes() : 0);
        return part(r, act, buffers);
    }

    /**
     * Target tokens the chunked head ({@code ChunkedHeadLoss}) pushes through the head at a time at this shape: its
     * rule ({@link ChunkedHeadLoss#chunkTokens}), at most B x T.
     */
    public long headChunkTokens() {
        return Math.min(tokens(), ChunkedHeadLoss.chunkTokens(model.vocabSize(), activationBytes));
    }

    /**
     * The server side of a device with cut c, the final norm, head and loss run in chunks of target tokens
     * ({@code ServerSegment(rows, recompute, true)}): as {@link #serverSegment} for the layers; the head keeps the
     * chunk's norm input, statistics and head input (activations), and at its backward holds two chunk x vocab
     * tensors (the logits, and the log-probabilities turned in place into the logits' gradient), two more in half
     * precision when the compute dtype is half, and the (B, T, d) gradient buffer of the final hidden state
     * (buffers). When all B x T tokens fit one chunk the head runs unchunked through autograd, which holds four
     * (B, T, vocab) tensors.
     */
    public MemoryBreakdown serverSegmentChunkedHead(int cut, boolean recompute) {
        checkCut(cut);
        LayerRange r = LayerRange.serverSegment(cut, model.nLayers());
        int layers = model.nLayers() - cut;
        long layerAct = recompute
                ? layers * hiddenBytes() + (layers > 0 ? layerActivationBytes() : 0)
                : layers * layerActivationBytes();
        long chunk = headChunkTokens();
        long act = layerAct + chunk * (Activations.headPerToken(model) - model.vocabSize()) * activationBytes;
        long chunkLogits = chunk * model.vocabSize();
        long head;
        if (chunk == tokens()) {
            // one chunk holds every token: the server runs the unchunked head through autograd (logits,
            // log-probabilities, the loss gradient and the logits' gradient)
            head = 4 * chunkLogits * activationBytes;
        } else {
            // the logits and the one buffer that holds the log-probabilities, then their gradient, in float32 (the
            // loss is float32 whatever the compute dtype); half compute adds the half logits and their gradient
            head = activationBytes >= 4 ? 2 * chunkLogits * activationBytes
                    : 2 * chunkLogits * 4 + 2 * chunkLogits * activationBytes;
        }
        long buffers = 3 * hiddenBytes() + tokens() * ID_BYTES + head + (layers > 0 ? attentionBackwardBytes() : 0);
        return part(r, act, buffers);
    }

    /**
     * {@link #serverSegment} when the server recomputes its layers' activations during the backward (layer-granular
     * activation checkpointing, {@code ServerSegment(microBatchRows, true)}): activations are one (B, T, d) checkpoint
     * per server layer (each layer's input, kept from a forward without autograd) plus ONE layer's activations (the
     * layer being recomputed) plus the final norm and head's; buffers are {@link #serverSegment}'s.
     *
     * <p>An upper bound by one layer's activations: the head's graph (with the logits and their gradient) is freed
     * before the first layer is recomputed, so the true peak holds the larger of the two, not both. The recomputed
     * layer's saved input shares its checkpoint's storage and is counted twice (d of its per-token elements).
     */
    public MemoryBreakdown serverSegmentRecomputed(int cut) {
        checkCut(cut);
        LayerRange r = LayerRange.serverSegment(cut, model.nLayers());
        int layers = model.nLayers() - cut;
        long act = layers * hiddenBytes() + (layers > 0 ? layerActivationBytes() : 0)
                + tokens() * Activations.headPerToken(model) * activationBytes;
        long buffers = 2 * hiddenBytes() + tokens() * ID_BYTES + 2 * logitsBytes()
                + (layers > 0 ? attentionBackwardBytes() : 0);
        return part(r, act, buffers);
    }

    /**
     * A device with cut c whose layers' linear weights are stored as {@code storage} ({@code --device-weights}) and
     * dequantized one layer at a time for compute. Frozen weights: the embedding, norms and biases at
     * {@link #weightBytes}, each layer's 2-D projection weights at {@link WeightStorage#bytes}. Below float32 the
     * device also recomputes: its forward keeps each layer's input only, and before each layer's backward it
     * dequantizes that layer and runs it again, so activations are one (B, T, d) checkpoint per layer plus one
     * layer's activations, and the buffers add one layer's dequantized float weights and the largest weight's
     * dequantization temporaries ({@link WeightStorage#dequantizeWorkspaceBytes}). With {@code FP32} this is
     * {@link #device(int)}.
     */
    public MemoryBreakdown device(int cut, WeightStorage storage) {
        if (storage == WeightStorage.FP32 && weightBytes == 4) {
            return device(cut);
        }
        checkCut(cut);
        LayerRange r = LayerRange.deviceSegment(cut);
        long frozen = 0;
        long largestLayer = 0;
        long workspace = 0;
        Map<Integer, Long> perLayer = new java.util.HashMap<>();
        for (Map.Entry<String, long[]> e : Models.shapes(model, r).entrySet()) {
            long[] shape = e.getValue();
            int layer = layerOf(e.getKey());
            if (layer >= 0 && shape.length == 2) {
                frozen += storage.bytes(shape[0], shape[1]);
                workspace = Math.max(workspace, storage.dequantizeWorkspaceBytes(shape[0], shape[1]));
                perLayer.merge(layer, shape[0] * shape[1] * 4L, Long::sum);
            } else {
                long numel = 1;
                for (long d : shape) {
                    numel *= d;
                }
                frozen += numel * weightBytes;
            }
        }
        for (long b : perLayer.values()) {
            largestLayer = Math.max(largestLayer, b);
        }
        long act = cut * hiddenBytes() + (cut > 0 ? layerActivationBytes() : 0)
                + tokens() * Activations.embeddingPerToken(model, lora) * activationBytes;
        long buffers = 2 * hiddenBytes() + 2 * tokens() * ID_BYTES + largestLayer + workspace
                + (cut > 0 ? attentionBackwardBytes() : 0);
        MemoryBreakdown s = loraState(r);
        return new MemoryBreakdown(frozen, s.loraParams(), s.loraGrads(), s.optimizerState(), act, buffers);
    }

    /** The layer index of a weight name under Hugging Face naming ({@code h.<i>.} or {@code model.layers.<i>.}), else -1. */
    static int layerOf(String name) {
        String rest = name.startsWith("h.") ? name.substring(2)
                : name.startsWith("model.layers.") ? name.substring("model.layers.".length()) : null;
        if (rest == null) {
            return -1;
        }
        int dot = rest.indexOf('.');
        return dot < 0 ? -1 : Integer.parseInt(rest.substring(0, dot));
    }

    /** The whole model trained in one process (fedlora's device, the centralized server): no split buffers. */
    public MemoryBreakdown fullModel() {
        LayerRange r = LayerRange.all(model.nLayers());
        long act = model.nLayers() * layerActivationBytes()
                + tokens() * (Activations.embeddingPerToken(model, lora) + Activations.headPerToken(model)) * activationBytes;
        long buffers = 2 * tokens() * ID_BYTES + 2 * logitsBytes() + attentionBackwardBytes();
        return part(r, act, buffers);
    }

    /** LoRA parameters, gradients and moments of the part, without weights or activations. */
    public MemoryBreakdown loraState(LayerRange range) {
        return LoraCounts.state(LoraCounts.params(model, lora, range));
    }

    private MemoryBreakdown part(LayerRange r, long activations, long buffers) {
        MemoryBreakdown s = loraState(r);
        return new MemoryBreakdown(frozenBytes(r), s.loraParams(), s.loraGrads(), s.optimizerState(), activations, buffers);
    }

    private void checkCut(int cut) {
        if (cut < 0 || cut > model.nLayers()) {
            throw new IllegalArgumentException("cut must be in [0, " + model.nLayers() + "], got " + cut);
        }
    }
}
