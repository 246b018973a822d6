package org.memsfl.model;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** Scaled dot-product attention with causal masking and an optional KV cache, shared by both families. */
final class Attention {

    private Attention() {
    }

    /**
     * @param q (B, heads, T, headDim)
     * @param k (B, kvHeads, T, headDim) this step's keys
     * @param v (B, kvHeads, T, headDim) this step's values
     * @return (B, T, heads * headDim)
     */
    static Tensor attend(Tensor q, Tensor k, Tensor v, int layer, ForwardContext ctx) {
        long past = 0;
        if (ctx.cache() != null) {
            past = ctx.cache().length(layer);
            Tensor[] kv = ctx.cache().append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        long t = q.size(2);
        boolean gqa = q.size(1) != k.size(1);
        Tensor out;
        if (past == 0 || t == 1) {
            // no cached prefix: plain causal; one new token after a prefix: it may see everything
            out = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, past == 0 && t > 1,
                    new DoubleOptional(), gqa);
        } else {
            // several new tokens after a prefix: query i sees keys up to past + i
            Tensor allowed = torch.ones(new long[] {t, past + t}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Bool))
                    .tril(past);
            out = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(allowed), 0.0, false,
                    new DoubleOptional(), gqa);
        }
        long b = q.size(0);
        return out.transpose(1, 2).reshape(b, t, q.size(1) * q.size(3));
    }
}
