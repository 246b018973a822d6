package org.memsfl.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;

/**
 * The llama family (Touvron et al., Llama 2, 2023): pre-RMSNorm blocks with rotary grouped-query attention and a
 * gated MLP. Covers Llama-2/3 (with RoPE scaling), Mistral, Qwen2 (bias on q, k, v) and the {@link ModelVariant.Style}s
 * that differ in small, named ways, each as transformers' modeling file for the type computes it:
 * Qwen3 (RMSNorm on each head of q and k before RoPE), Gemma-2 and Gemma-3 text ({@code (1 + w)} RMSNorm in float32,
 * norms after attention and MLP too, GeGLU with tanh GELU, embeddings times sqrt(hidden) rounded to the compute
 * dtype, {@code query_pre_attn_scalar}, soft-capping, sliding-window layers, Gemma-3's q/k norms and local RoPE base)
 * and Phi-3 (fused {@code qkv_proj} and {@code gate_up_proj}, kept fused in memory and adapted as PEFT adapts them).
 */
public final class LlamaModel extends DecoderModel {

    private static final String P = "model.layers.";
    private final ModelVariant.Style style;
    private final Rope rope;
    private final Rope localRope; // sliding-window layers of Gemma-3; null when they share rope

    public LlamaModel(ModelConfig config, LayerRange range, Map<String, Tensor> weights, DType compute, String source) {
        this(config, range, weights, Map.of(), compute, source);
    }

    /** With layer weights already in a storage form ({@link DecoderModel#quantizeAsRead}). */
    public LlamaModel(ModelConfig config, LayerRange range, Map<String, Tensor> weights,
                      Map<String, org.memsfl.quant.QuantizedWeight> layerWeights, DType compute, String source) {
        super(config, range, weights, layerWeights, compute, source);
        ModelVariant v = config.variant();
        this.style = v.style();
        this.rope = new Rope(config.headDim(), config.maxSeqLen(), config.ropeTheta(), v.rope());
        this.localRope = v.localRopeTheta() > 0
                ? new Rope(config.headDim(), config.maxSeqLen(), v.localRopeTheta(), RopeScaling.NONE) : null;
    }

    @Override
    protected Map<String, long[]> expectedShapes(ModelConfig c, LayerRange r) {
        return shapes(c, r);
    }

    /** Hugging Face names and (out, in) shapes of a llama-family model part. */
    public static Map<String, long[]> shapes(ModelConfig c, LayerRange r) {
        Map<String, long[]> s = new LinkedHashMap<>();
        ModelVariant.Style style = c.variant().style();
        long d = c.dim();
        long q = c.qDim();
        long kv = c.kvDim();
        long h = c.hiddenDim();
        long hd = c.headDim();
        if (r.embedding() || (r.head() && c.tiedEmbeddings())) {
            s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
        }
        for (int i = r.from(); i < r.to(); i++) {
            String p = P + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {d});
            if (style.fused()) {
                s.put(p + "self_attn.qkv_proj.weight", new long[] {q + 2 * kv, d});
            } else {
                s.put(p + "self_attn.q_proj.weight", new long[] {q, d});
                s.put(p + "self_attn.k_proj.weight", new long[] {kv, d});
                s.put(p + "self_attn.v_proj.weight", new long[] {kv, d});
            }
            if (c.qkvBias()) {
                s.put(p + "self_attn.q_proj.bias", new long[] {q});
                s.put(p + "self_attn.k_proj.bias", new long[] {kv});
                s.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            if (style.qkNorm()) {
                s.put(p + "self_attn.q_norm.weight", new long[] {hd});
                s.put(p + "self_attn.k_norm.weight", new long[] {hd});
            }
            s.put(p + "self_attn.o_proj.weight", new long[] {d, q});
            s.put(p + "post_attention_layernorm.weight", new long[] {d});
            if (style.gemma()) {
                s.put(p + "pre_feedforward_layernorm.weight", new long[] {d});
                s.put(p + "post_feedforward_layernorm.weight", new long[] {d});
            }
            if (style.fused()) {
                s.put(p + "mlp.gate_up_proj.weight", new long[] {2 * h, d});
            } else {
                s.put(p + "mlp.gate_proj.weight", new long[] {h, d});
                s.put(p + "mlp.up_proj.weight", new long[] {h, d});
            }
            s.put(p + "mlp.down_proj.weight", new long[] {d, h});
        }
        if (r.head()) {
            s.put("model.norm.weight", new long[] {d});
            if (!c.tiedEmbeddings()) {
                s.put("lm_head.weight", new long[] {c.vocabSize(), d});
            }
        }
        return s;
    }

    @Override
    public Tensor embed(Tensor ids, ForwardContext ctx) {
        Tensor table = w("model.embed_tokens.weight");
        if (style == ModelVariant.Style.GEMMA3) {
            // Gemma-3's scaled embedding module scales its own lookup; a PEFT adapter on it adds after the scale
            Tensor scaled = gemmaEmbedScale(torch.embedding(table, ids));
            return addUpdate(scaled, embeddingUpdate(ids, ctx));
        }
        Tensor h = embedWithAdapter(ids, table, ctx);
        return style == ModelVariant.Style.GEMMA2 ? gemmaEmbedScale(h) : h;
    }

    /** h * sqrt(hidden), the factor rounded to h's dtype as the reference does ({@code torch.tensor(.., dtype)}). */
    private Tensor gemmaEmbedScale(Tensor h) {
        Tensor normalizer = torch.scalar_tensor(new Scalar(Math.sqrt(config.dim())),
                new TensorOptions(torch.ScalarType.Double)).to(h.scalar_type());
        return h.mul(normalizer);
    }

    @Override
    protected Tensor block(int layer, Tensor h, ForwardContext ctx) {
        // each half in its own scope: what a half made and autograd does not keep is freed before the next half
        try (NativeScope half = new NativeScope()) {
            h = half.escape(attentionHalf(layer, h, ctx));
        }
        try (NativeScope half = new NativeScope()) {
            return half.escape(mlpHalf(layer, h, ctx));
        }
    }

    /** (B, T, dim) to h + dropout(attention(norm(h))), Gemma's post-attention norm included. */
    private Tensor attentionHalf(int layer, Tensor h, ForwardContext ctx) {
        String p = P + layer + ".";
        ModelVariant v = config.variant();
        long b = h.size(0);
        long t = h.size(1);
        int hd = config.headDim();
        Tensor x = norm(h, w(p + "input_layernorm.weight"));
        Tensor q;
        Tensor k;
        Tensor val;
        if (style.fused()) {
            Tensor qkv = lin(x, p + "self_attn.qkv_proj", layer, "qkv", ctx); // (B, T, q + 2 kv)
            q = qkv.narrow(2, 0, config.qDim());
            k = qkv.narrow(2, config.qDim(), config.kvDim());
            val = qkv.narrow(2, config.qDim() + config.kvDim(), config.kvDim());
        } else {
            q = lin(x, p + "self_attn.q_proj", layer, "q", ctx);   // (B, T, heads * hd)
            k = lin(x, p + "self_attn.k_proj", layer, "k", ctx);   // (B, T, kvHeads * hd)
            val = lin(x, p + "self_attn.v_proj", layer, "v", ctx); // (B, T, kvHeads * hd)
        }
        q = q.reshape(b, t, config.nHeads(), hd);     // (B, T, heads, hd)
        k = k.reshape(b, t, config.nKvHeads(), hd);   // (B, T, kvHeads, hd)
        if (style.qkNorm()) {
            q = headNorm(q, w(p + "self_attn.q_norm.weight"));
            k = headNorm(k, w(p + "self_attn.k_norm.weight"));
        }
        q = q.transpose(1, 2);                                                // (B, heads, T, hd)
        k = k.transpose(1, 2);                                                // (B, kvHeads, T, hd)
        val = val.reshape(b, t, config.nKvHeads(), hd).transpose(1, 2);       // (B, kvHeads, T, hd)
        boolean sliding = v.sliding(layer);
        Rope r = sliding && localRope != null ? localRope : rope;
        long seqLen = ctx.startPos() + t;
        q = r.apply(q, ctx.startPos(), seqLen);
        k = r.apply(k, ctx.startPos(), seqLen);
        Attention.Spec spec = new Attention.Spec(
                v.queryPreAttnScalar() > 0 ? 1.0 / Math.sqrt(v.queryPreAttnScalar()) : Double.NaN, v.attnSoftcap(),
                sliding ? v.slidingWindow() : 0, config.dropout().attention());
        Tensor att = Attention.attend(q, k, val, layer, ctx, spec);          // (B, T, heads * hd)
        Tensor attOut = lin(att, p + "self_attn.o_proj", layer, "o", ctx);  // (B, T, dim)
        if (style.gemma()) {
            attOut = norm(attOut, w(p + "post_attention_layernorm.weight"));
        }
        // Phi-3's resid_attn_dropout and resid_mlp_dropout, on what is added to the residual stream (the parser
        // leaves the residual probability 0 for the other types)
        ModelDropout drop = config.dropout();
        return h.add(dropout(attOut, drop.residual(), layer, DropoutKey.Site.ATTENTION_OUTPUT, ctx));
    }

    /** (B, T, dim) to h + dropout(mlp(norm(h))), Gemma's pre- and post-feedforward norms included. */
    private Tensor mlpHalf(int layer, Tensor h, ForwardContext ctx) {
        String p = P + layer + ".";
        ModelDropout drop = config.dropout();
        Tensor x = norm(h, w(p + (style.gemma() ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")));
        Tensor gate;
        Tensor up;
        if (style.fused()) {
            Tensor gu = lin(x, p + "mlp.gate_up_proj", layer, "gate_up", ctx); // (B, T, 2 hidden): gate, then up
            gate = gu.narrow(2, 0, config.hiddenDim());
            up = gu.narrow(2, config.hiddenDim(), config.hiddenDim());
        } else {
            gate = lin(x, p + "mlp.gate_proj", layer, "gate", ctx);
            up = lin(x, p + "mlp.up_proj", layer, "up", ctx);
        }
        Tensor act = style.gemma() ? torch.gelu(gate, "tanh") : torch.silu(gate);
        Tensor mlp = lin(act.mul(up), p + "mlp.down_proj", layer, "down", ctx);
        if (style.gemma()) {
            mlp = norm(mlp, w(p + "post_feedforward_layernorm.weight"));
        }
        return h.add(dropout(mlp, drop.residual(), layer, DropoutKey.Site.MLP_OUTPUT, ctx));
    }

    @Override
    public Tensor head(Tensor h, ForwardContext ctx) {
        Tensor logits = super.head(h, ctx);
        double cap = config.variant().finalSoftcap();
        return cap > 0 ? logits.div(new Scalar(cap)).tanh().mul(new Scalar(cap)) : logits;
    }

    private Tensor lin(Tensor x, String name, int layer, String module, ForwardContext ctx) {
        Tensor bias = config.qkvBias() && (module.equals("q") || module.equals("k") || module.equals("v"))
                ? w(name + ".bias") : null;
        return linear(x, w(name + ".weight"), bias, layer, module, ctx);
    }

    /** The block's norm over the hidden size: plain RMSNorm, or Gemma's (1 + w) one. */
    private Tensor norm(Tensor x, Tensor gamma) {
        return rms(x, gamma, config.dim());
    }

    /** RMSNorm over the last dimension (head_dim) of (B, T, heads, hd). */
    private Tensor headNorm(Tensor x, Tensor gamma) {
        return rms(x, gamma, config.headDim());
    }

    private Tensor rms(Tensor x, Tensor gamma, long size) {
        if (style.gemma()) {
            // Gemma: normalise and multiply by (1 + w) in float32, then back to the input's dtype
            torch.ScalarType wide = atLeastFloat(x);
            Tensor xf = x.to(wide);
            Tensor g = gamma.to(wide).add(new Scalar(1.0));
            return torch.rms_norm(xf, new long[] {size}, new TensorOptional(g), new DoubleOptional(config.normEps()))
                    .to(x.scalar_type());
        }
        return torch.rms_norm(x, new long[] {size}, new TensorOptional(gamma), new DoubleOptional(config.normEps()));
    }

    /** float32 for half-precision tensors, else their own type (float64 stays float64). */
    static torch.ScalarType atLeastFloat(Tensor x) {
        torch.ScalarType t = x.scalar_type().intern();
        return t == torch.ScalarType.Double ? t : torch.ScalarType.Float;
    }

    @Override
    protected Tensor finalNorm(Tensor h) {
        return norm(h, w("model.norm.weight"));
    }

    @Override
    protected Tensor lmHeadWeight() {
        return config.tiedEmbeddings() ? w("model.embed_tokens.weight") : w("lm_head.weight");
    }

    @Override
    public void close() {
        rope.close();
        if (localRope != null) {
            localRope.close();
        }
        super.close();
    }
}
