package org.memsfl.model;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.NativeScope;

/**
 * Scaled dot-product attention with causal masking, an optional sliding window and an optional KV cache, shared by
 * both families. With a window W, query position p sees key positions j with {@code p - W < j <= p} (a banded causal
 * mask, the same rule as transformers' sliding-window mask), so the result is exact at any length. Attention-logit
 * soft-capping (Gemma-2) needs the logits themselves, so that case runs the attention unfused.
 *
 * <p>bf16 and fp16 also run unfused while the (B, heads, T, keys) float32 scores stay within
 * {@link #UNFUSED_SCORE_BYTES}: libtorch's fused CPU kernel falls back to a scalar reduced-precision GEMM there
 * (13x slower than two oneDNN batched GEMMs at B=4, 12 heads, T=128, head_dim 64, forward and backward, measured
 * with {@code ./memsfl bench step}). The unfused form is transformers' "eager" attention: scores in the compute
 * dtype, softmax in float32, probabilities cast back before the product with v. Longer inputs keep the fused
 * kernel, whose memory does not grow with T^2. The unfused path keeps the (B, heads, T, keys) half-precision
 * probabilities per layer for the backward (2 bytes each; at B=4, T=128 and 12 heads, 1.5 MiB a layer).
 *
 * <p>A training pass with attention dropout also runs unfused: the probabilities are masked with the pass's
 * {@link DropoutKey} (so a split and an unsplit run drop the same ones), which the fused kernel cannot take.
 */
public final class Attention {

    /**
     * @param scale  multiplier of q k^T (NaN: 1/sqrt(head_dim))
     * @param softcap {@code cap * tanh(logits / cap)} before the mask; 0 for none
     * @param window keys a query sees, itself included; 0 for full causal attention
     * @param dropout probability of dropping an attention probability in a training pass (transformers' eager
     *                attention: after the softmax, before the product with v); 0 for none
     */
    record Spec(double scale, double softcap, int window, double dropout) {
        static final Spec PLAIN = new Spec(Double.NaN, 0, 0, 0);

        Spec(double scale, double softcap, int window) {
            this(scale, softcap, window, 0);
        }
    }

    /** Largest float32 score tensor (B, heads, T, keys) the unfused half-precision path may build: 64 MiB. */
    public static final long UNFUSED_SCORE_BYTES = 64L << 20;

    private Attention() {
    }

    /** Whether half-precision q should bypass the fused kernel (see the class comment). */
    static boolean unfusedHalf(Tensor q, long keys) {
        return isHalf(q) && q.size(0) * q.size(1) * q.size(2) * keys * 4 <= UNFUSED_SCORE_BYTES;
    }

    private static boolean isHalf(Tensor t) {
        torch.ScalarType s = t.scalar_type().intern();
        return s == torch.ScalarType.BFloat16 || s == torch.ScalarType.Half;
    }

    static Tensor attend(Tensor q, Tensor k, Tensor v, int layer, ForwardContext ctx) {
        return attend(q, k, v, layer, ctx, Spec.PLAIN);
    }

    /**
     * @param q (B, heads, T, headDim)
     * @param k (B, kvHeads, T, headDim) this step's keys
     * @param v (B, kvHeads, T, headDim) this step's values
     * @return (B, T, heads * headDim)
     */
    static Tensor attend(Tensor q, Tensor k, Tensor v, int layer, ForwardContext ctx, Spec spec) {
        long past = 0;
        if (ctx.cache() != null) {
            past = ctx.cache().length(layer);
            Tensor[] kv = ctx.cache().append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        long t = q.size(2);
        boolean gqa = q.size(1) != k.size(1);
        boolean windowed = spec.window() > 0 && past + t > spec.window();
        Tensor allowed = null; // (T, past + T) bool, null: plain causal or no mask
        if (windowed || (past > 0 && t > 1) || spec.softcap() > 0) {
            // query i (position past + i) sees keys up to past + i, and with a window no earlier than past + i - W + 1
            allowed = torch.ones(new long[] {t, past + t}, new TensorOptions(torch.ScalarType.Bool)).tril(past);
            if (windowed) {
                allowed = allowed.triu(past - spec.window() + 1);
            }
        }
        DoubleOptional scale = Double.isNaN(spec.scale()) ? new DoubleOptional() : new DoubleOptional(spec.scale());
        Tensor out;
        if (ctx.padLeft() != null) {
            // a left-padded generation batch: no real query sees a pad key (window and causality still apply)
            Tensor pads = paddedMask(ctx.padLeft(), past, t); // (B, 1, T, past + T)
            allowed = allowed == null ? pads : pads.logical_and(allowed);
        }
        boolean drop = ctx.training() && spec.dropout() > 0;
        if (spec.softcap() > 0 || drop || unfusedHalf(q, past + t)) {
            if (allowed == null && past == 0 && t > 1) {
                allowed = torch.ones(new long[] {t, t}, new TensorOptions(torch.ScalarType.Bool)).tril(0);
            }
            out = unfused(q, k, v, allowed, spec, drop ? ctx : null, layer);
        } else if (allowed == null) {
            // no cached prefix: plain causal; one new token after a prefix (within any window): it may see everything
            out = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, past == 0 && t > 1, scale, gqa);
        } else {
            out = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(allowed), 0.0, false, scale, gqa);
        }
        long b = q.size(0);
        return out.transpose(1, 2).reshape(b, t, q.size(1) * q.size(3));
    }

    /**
     * softmax(mask(cap * tanh(scale q k^T / cap))) v (no tanh when the spec has no cap), the softmax in float32 as
     * the reference does.
     *
     * @param allowed (T, keys) or (B, 1, T, keys) bool, or null when every query sees every key
     * @param dropCtx the training pass whose key drops probabilities with {@code spec.dropout()}; null for none
     */
    private static Tensor unfused(Tensor q, Tensor k, Tensor v, Tensor allowed, Spec spec, ForwardContext dropCtx,
                                  int layer) {
        // the scope frees the (B, heads, T, keys) logits and every other handle not saved for the backward as soon
        // as the output exists, instead of when the layer ends: softmax keeps its output, not its input
        try (NativeScope scope = new NativeScope()) {
            return scope.escape(unfusedScores(q, k, v, allowed, spec, dropCtx, layer));
        }
    }

    private static Tensor unfusedScores(Tensor q, Tensor k, Tensor v, Tensor allowed, Spec spec,
                                        ForwardContext dropCtx, int layer) {
        long groups = q.size(1) / k.size(1);
        if (groups > 1) {
            k = k.repeat_interleave(groups, new LongOptional(1), new LongOptional());
            v = v.repeat_interleave(groups, new LongOptional(1), new LongOptional());
        }
        double scale = Double.isNaN(spec.scale()) ? 1.0 / Math.sqrt(q.size(3)) : spec.scale();
        // scaled and masked in place: neither the product's backward nor the scaling's nor the fill's needs the
        // values overwritten, so one (B, heads, T, keys) tensor serves all three steps
        Tensor logits = q.matmul(k.transpose(2, 3));
        logits.mul_(new Scalar(scale));
        if (spec.softcap() > 0) {
            logits = logits.div(new Scalar(spec.softcap())).tanh().mul(new Scalar(spec.softcap()));
        }
        if (allowed != null) {
            logits.masked_fill_(allowed.logical_not(), new Scalar(Double.NEGATIVE_INFINITY));
        }
        // soft-capped logits: softmax in float32, then cast (the reference); plain half logits: libtorch's half
        // softmax, which accumulates in float32 and rounds once, the same values, and keeps only the half-precision
        // probabilities for the backward instead of a float32 copy beside them
        Tensor probs = spec.softcap() > 0 || !isHalf(q)
                ? torch.softmax(logits, -1, new ScalarTypeOptional(LlamaModel.atLeastFloat(q))).to(q.scalar_type())
                : torch.softmax(logits, -1, new ScalarTypeOptional());
        if (dropCtx != null) {
            probs = DecoderModel.dropout(probs, spec.dropout(), layer, DropoutKey.Site.ATTENTION, dropCtx); // (B, heads, T, keys)
        }
        return probs.matmul(v);
    }

    /**
     * (B, 1, T, past + T) bool: query i of row b (absolute index past + i) sees key j when j <= past + i and j is not
     * one of the row's leading pads; every query also sees itself, so a pad query has one key and stays finite (a
     * fully masked row would give NaN, and a NaN value times a zero weight is still NaN in later layers).
     */
    private static Tensor paddedMask(int[] padLeft, long past, long t) {
        long keys = past + t;
        boolean[] allowed = new boolean[(int) (padLeft.length * t * keys)];
        int idx = 0;
        for (int pad : padLeft) {
            for (long i = 0; i < t; i++) {
                long query = past + i;
                for (long j = 0; j < keys; j++) {
                    allowed[idx++] = j == query || (j <= query && j >= pad);
                }
            }
        }
        return org.memsfl.engine.Tensors.fromBooleans(allowed, padLeft.length, 1, t, keys);
    }
}
