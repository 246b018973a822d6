package org.memsfl.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;

/**
 * The llama family (Touvron et al., Llama 2, 2023): pre-RMSNorm blocks with rotary grouped-query attention and a
 * SwiGLU MLP. Covers Llama-2/3, Mistral and Qwen2 (bias on q, k, v) configurations.
 */
public final class LlamaModel extends DecoderModel {

    private static final String P = "model.layers.";
    private final Rope rope;

    public LlamaModel(ModelConfig config, LayerRange range, Map<String, Tensor> weights, DType compute, String source) {
        super(config, range, weights, compute, source);
        this.rope = new Rope(config.headDim(), config.maxSeqLen(), config.ropeTheta());
    }

    @Override
    protected Map<String, long[]> expectedShapes(ModelConfig c, LayerRange r) {
        return shapes(c, r);
    }

    /** Hugging Face names and (out, in) shapes of a llama-family model part. */
    public static Map<String, long[]> shapes(ModelConfig c, LayerRange r) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long d = c.dim();
        long kv = c.kvDim();
        long h = c.hiddenDim();
        if (r.embedding() || (r.head() && c.tiedEmbeddings())) {
            s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
        }
        for (int i = r.from(); i < r.to(); i++) {
            String p = P + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {d});
            s.put(p + "self_attn.q_proj.weight", new long[] {d, d});
            s.put(p + "self_attn.k_proj.weight", new long[] {kv, d});
            s.put(p + "self_attn.v_proj.weight", new long[] {kv, d});
            if (c.qkvBias()) {
                s.put(p + "self_attn.q_proj.bias", new long[] {d});
                s.put(p + "self_attn.k_proj.bias", new long[] {kv});
                s.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            s.put(p + "self_attn.o_proj.weight", new long[] {d, d});
            s.put(p + "post_attention_layernorm.weight", new long[] {d});
            s.put(p + "mlp.gate_proj.weight", new long[] {h, d});
            s.put(p + "mlp.up_proj.weight", new long[] {h, d});
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
        return embedWithAdapter(ids, w("model.embed_tokens.weight"), ctx);
    }

    @Override
    protected Tensor block(int layer, Tensor h, ForwardContext ctx) {
        String p = P + layer + ".";
        long b = h.size(0);
        long t = h.size(1);
        int hd = config.headDim();
        Tensor x = rms(h, w(p + "input_layernorm.weight"));
        Tensor q = lin(x, p + "self_attn.q_proj", layer, "q", ctx).view(b, t, config.nHeads(), hd).transpose(1, 2);
        Tensor k = lin(x, p + "self_attn.k_proj", layer, "k", ctx).view(b, t, config.nKvHeads(), hd).transpose(1, 2);
        Tensor v = lin(x, p + "self_attn.v_proj", layer, "v", ctx).view(b, t, config.nKvHeads(), hd).transpose(1, 2);
        q = rope.apply(q, ctx.startPos());
        k = rope.apply(k, ctx.startPos());
        Tensor att = Attention.attend(q, k, v, layer, ctx);
        h = h.add(lin(att, p + "self_attn.o_proj", layer, "o", ctx));
        x = rms(h, w(p + "post_attention_layernorm.weight"));
        Tensor gate = torch.silu(lin(x, p + "mlp.gate_proj", layer, "gate", ctx));
        Tensor up = lin(x, p + "mlp.up_proj", layer, "up", ctx);
        return h.add(lin(gate.mul(up), p + "mlp.down_proj", layer, "down", ctx));
    }

    private Tensor lin(Tensor x, String name, int layer, String module, ForwardContext ctx) {
        Tensor bias = config.qkvBias() && (module.equals("q") || module.equals("k") || module.equals("v"))
                ? w(name + ".bias") : null;
        return linear(x, w(name + ".weight"), bias, layer, module, ctx);
    }

    private Tensor rms(Tensor x, Tensor gamma) {
        return torch.rms_norm(x, new long[] {config.dim()}, new TensorOptional(gamma), new DoubleOptional(config.normEps()));
    }

    @Override
    protected Tensor finalNorm(Tensor h) {
        return rms(h, w("model.norm.weight"));
    }

    @Override
    protected Tensor lmHeadWeight() {
        return config.tiedEmbeddings() ? w("model.embed_tokens.weight") : w("lm_head.weight");
    }

    @Override
    public void close() {
        rope.close();
        super.close();
    }
}
