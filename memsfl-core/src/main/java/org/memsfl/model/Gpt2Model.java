package org.memsfl.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;

/**
 * The gpt2 family (Radford et al., 2019): pre-LayerNorm blocks, learned positions, GELU-tanh MLP and a fused
 * q/k/v projection {@code c_attn}. Weights are held in the linear layout (out, in); the Hugging Face loader
 * transposes the Conv1D tensors it reads. LoRA on q, k or v adapts that slice of {@code c_attn}'s output.
 */
public final class Gpt2Model extends DecoderModel {

    public Gpt2Model(ModelConfig config, LayerRange range, Map<String, Tensor> weights, DType compute, String source) {
        super(config, range, weights, compute, source);
    }

    /** With layer weights already in a storage form ({@link DecoderModel#quantizeAsRead}). */
    public Gpt2Model(ModelConfig config, LayerRange range, Map<String, Tensor> weights,
                     Map<String, org.memsfl.quant.QuantizedWeight> layerWeights, DType compute, String source) {
        super(config, range, weights, layerWeights, compute, source);
    }

    @Override
    protected Map<String, long[]> expectedShapes(ModelConfig c, LayerRange r) {
        return shapes(c, r);
    }

    /** Hugging Face names (without the {@code transformer.} prefix) and (out, in) shapes of a gpt2 model part. */
    public static Map<String, long[]> shapes(ModelConfig c, LayerRange r) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long d = c.dim();
        long h = c.hiddenDim();
        if (r.embedding() || r.head()) {
            s.put("wte.weight", new long[] {c.vocabSize(), d});
        }
        if (r.embedding()) {
            s.put("wpe.weight", new long[] {c.maxSeqLen(), d});
        }
        for (int i = r.from(); i < r.to(); i++) {
            String p = "h." + i + ".";
            s.put(p + "ln_1.weight", new long[] {d});
            s.put(p + "ln_1.bias", new long[] {d});
            s.put(p + "attn.c_attn.weight", new long[] {3 * d, d});
            s.put(p + "attn.c_attn.bias", new long[] {3 * d});
            s.put(p + "attn.c_proj.weight", new long[] {d, d});
            s.put(p + "attn.c_proj.bias", new long[] {d});
            s.put(p + "ln_2.weight", new long[] {d});
            s.put(p + "ln_2.bias", new long[] {d});
            s.put(p + "mlp.c_fc.weight", new long[] {h, d});
            s.put(p + "mlp.c_fc.bias", new long[] {h});
            s.put(p + "mlp.c_proj.weight", new long[] {d, h});
            s.put(p + "mlp.c_proj.bias", new long[] {d});
        }
        if (r.head()) {
            s.put("ln_f.weight", new long[] {d});
            s.put("ln_f.bias", new long[] {d});
        }
        return s;
    }

    @Override
    public Tensor embed(Tensor ids, ForwardContext ctx) {
        long t = ids.size(1);
        if (ctx.startPos() + t > config.maxSeqLen()) {
            throw new IllegalArgumentException("sequence of " + (ctx.startPos() + t) + " positions exceeds n_positions "
                    + config.maxSeqLen());
        }
        Tensor pos = w("wpe.weight").narrow(0, ctx.startPos(), t); // (T, dim)
        // GPT2Model: drop(inputs_embeds + position_embeds), embd_pdrop
        return dropout(embedWithAdapter(ids, w("wte.weight"), ctx).add(pos), config.dropout().embedding(), -1,
                DropoutKey.Site.EMBEDDING, ctx); // (B, T, dim)
    }

    /**
     * Each half of the block runs in its own scope, so the handles a half made and autograd does not keep (its
     * dequantized weights, the fused q/k/v before the adapters, the GELU output before a frozen projection) are freed
     * before the next half runs, not when the layer ends.
     */
    @Override
    protected Tensor block(int layer, Tensor h, ForwardContext ctx) {
        try (NativeScope half = new NativeScope()) {
            h = half.escape(attentionHalf(layer, h, ctx));
        }
        try (NativeScope half = new NativeScope()) {
            return half.escape(mlpHalf(layer, h, ctx));
        }
    }

    /** (B, T, dim) to h + dropout(attention(ln_1(h))). */
    private Tensor attentionHalf(int layer, Tensor h, ForwardContext ctx) {
        String p = "h." + layer + ".";
        long b = h.size(0);
        long t = h.size(1);
        long d = config.dim();
        int hd = config.headDim();
        Tensor x = ln(h, p + "ln_1");
        Tensor qkv = torch.linear(x, w(p + "attn.c_attn.weight"), new TensorOptional(w(p + "attn.c_attn.bias")));
        Tensor q = withSlice(qkv.narrow(2, 0, d), x, layer, "q", ctx);
        Tensor k = withSlice(qkv.narrow(2, d, d), x, layer, "k", ctx);
        Tensor v = withSlice(qkv.narrow(2, 2 * d, d), x, layer, "v", ctx);
        q = q.reshape(b, t, config.nHeads(), hd).transpose(1, 2);
        k = k.reshape(b, t, config.nHeads(), hd).transpose(1, 2);
        v = v.reshape(b, t, config.nHeads(), hd).transpose(1, 2);
        ModelDropout drop = config.dropout();
        Tensor att = Attention.attend(q, k, v, layer, ctx,
                new Attention.Spec(Double.NaN, 0, 0, drop.attention()));                  // (B, T, dim); attn_pdrop
        Tensor attOut = lin(att, p + "attn.c_proj", layer, "c_proj", ctx);               // (B, T, dim)
        return h.add(dropout(attOut, drop.residual(), layer, DropoutKey.Site.ATTENTION_OUTPUT, ctx)); // resid_pdrop
    }

    /** (B, T, dim) to h + dropout(mlp(ln_2(h))). */
    private Tensor mlpHalf(int layer, Tensor h, ForwardContext ctx) {
        String p = "h." + layer + ".";
        ModelDropout drop = config.dropout();
        Tensor x = ln(h, p + "ln_2");
        Tensor m = torch.gelu(lin(x, p + "mlp.c_fc", layer, "c_fc", ctx), "tanh");     // (B, T, inner)
        Tensor mlpOut = lin(m, p + "mlp.c_proj", layer, "mlp_c_proj", ctx);              // (B, T, dim)
        return h.add(dropout(mlpOut, drop.residual(), layer, DropoutKey.Site.MLP_OUTPUT, ctx));
    }

    private Tensor withSlice(Tensor slice, Tensor x, int layer, String module, ForwardContext ctx) {
        Tensor u = loraUpdate(x, layer, module, ctx);
        return u == null ? slice : slice.add(u);
    }

    private Tensor lin(Tensor x, String name, int layer, String module, ForwardContext ctx) {
        return linear(x, w(name + ".weight"), w(name + ".bias"), layer, module, ctx);
    }

    private Tensor ln(Tensor x, String name) {
        return torch.layer_norm(x, new long[] {config.dim()}, new TensorOptional(w(name + ".weight")),
                new TensorOptional(w(name + ".bias")), config.normEps(), false);
    }

    @Override
    protected Tensor finalNorm(Tensor h) {
        return ln(h, "ln_f");
    }

    @Override
    protected Tensor lmHeadWeight() {
        return w("wte.weight");
    }

}
