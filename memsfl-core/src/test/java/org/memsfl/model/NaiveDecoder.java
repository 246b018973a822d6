package org.memsfl.model;

import java.util.Map;

/**
 * A float64 decoder in plain Java loops, written from the transformers modeling files of each type
 * (modeling_llama, modeling_qwen3, modeling_gemma2, modeling_gemma3, modeling_phi3, modeling_rope_utils) and sharing
 * no code with memsfl's model: the oracle of {@link FamilyEquivalenceTest}. Weights are read by name from
 * {@link FamilyFixture#write}'s values (possibly merged with LoRA updates by the test).
 */
final class NaiveDecoder {

    private final FamilyFixture f;
    private final Map<String, double[]> w;
    /** Training-pass dropout (0: none): on attention probabilities, and on what each sub-block adds (Phi-3). */
    private double attnP;
    private double residP;
    private DropoutKey key;

    NaiveDecoder(FamilyFixture f, Map<String, double[]> w) {
        this.f = f;
        this.w = w;
    }

    /**
     * The same decoder in a training pass with dropout, row 0 of the step keyed {@code key}: the keep-masks are drawn
     * again from the key ({@link DropoutKey#keepMask}); how they apply (inverted dropout after the softmax, on each
     * sub-block's output) is written here from modeling_llama's eager attention and modeling_phi3's decoder layer.
     */
    NaiveDecoder withDropout(double attention, double residual, DropoutKey k) {
        NaiveDecoder n = new NaiveDecoder(f, w);
        n.attnP = attention;
        n.residP = residual;
        n.key = k;
        return n;
    }

    /** keep / (1 - p) for a (1, shape...) mask of this layer and site, flattened row-major. */
    private double[] scaledKeep(long[] shape, double p, int layer, DropoutKey.Site site) {
        float[] keep = org.memsfl.engine.Tensors.toFloats(key.keepMask(shape, p, layer, site,
                org.bytedeco.pytorch.global.torch.ScalarType.Float));
        double[] out = new double[keep.length];
        for (int i = 0; i < keep.length; i++) {
            out[i] = keep[i] / (1 - p);
        }
        return out;
    }

    private void dropRows(double[][] x, int layer, DropoutKey.Site site) {
        if (residP == 0) {
            return;
        }
        int n = x[0].length;
        double[] keep = scaledKeep(new long[] {1, x.length, n}, residP, layer, site);
        for (int p = 0; p < x.length; p++) {
            for (int i = 0; i < n; i++) {
                x[p][i] *= keep[p * n + i];
            }
        }
    }

    /** Mean next-token cross entropy over ids[0..n-1] predicting ids[1..n]. */
    double loss(int[] ids) {
        int t = ids.length - 1;
        int[] in = java.util.Arrays.copyOf(ids, t);
        double[][] logits = forward(in);
        double sum = 0;
        for (int p = 0; p < t; p++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits[p]) {
                max = Math.max(max, v);
            }
            double z = 0;
            for (double v : logits[p]) {
                z += Math.exp(v - max);
            }
            sum += max + Math.log(z) - logits[p][ids[p + 1]];
        }
        return sum / t;
    }

    /** Greedy continuation of {@code prompt}, recomputing the whole sequence each step. */
    int[] greedy(int[] prompt, int n) {
        int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + n);
        for (int s = 0; s < n; s++) {
            int len = prompt.length + s;
            double[][] logits = forward(java.util.Arrays.copyOf(seq, len));
            double[] last = logits[len - 1];
            int best = 0;
            for (int i = 1; i < last.length; i++) {
                if (last[i] > last[best]) {
                    best = i;
                }
            }
            seq[len] = best;
        }
        return java.util.Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    double[][] forward(int[] ids) {
        int t = ids.length;
        int d = f.dim();
        int hd = f.hd();
        int nq = f.heads() * hd;
        int nkv = f.kvHeads() * hd;
        double[] emb = w.get("model.embed_tokens.weight");
        // Gemma multiplies by sqrt(hidden) as a tensor of the hidden states' dtype: float32 here
        double embScale = f.gemma() ? (double) (float) Math.sqrt(d) : 1.0;
        double[][] h = new double[t][d];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < d; i++) {
                h[p][i] = emb[ids[p] * d + i] * embScale;
            }
        }
        for (int l = 0; l < f.layers(); l++) {
            String pre = "model.layers." + l + ".";
            double[][] x = norm(h, w.get(pre + "input_layernorm.weight"));
            double[][] q;
            double[][] k;
            double[][] v;
            if (f.fused()) {
                double[][] qkv = matmul(x, w.get(pre + "self_attn.qkv_proj.weight"), nq + 2 * nkv);
                q = cols(qkv, 0, nq);
                k = cols(qkv, nq, nkv);
                v = cols(qkv, nq + nkv, nkv);
            } else {
                q = matmul(x, w.get(pre + "self_attn.q_proj.weight"), nq);
                k = matmul(x, w.get(pre + "self_attn.k_proj.weight"), nkv);
                v = matmul(x, w.get(pre + "self_attn.v_proj.weight"), nkv);
            }
            if (f.qkNorm()) {
                headNorm(q, w.get(pre + "self_attn.q_norm.weight"));
                headNorm(k, w.get(pre + "self_attn.k_norm.weight"));
            }
            boolean local = f.sliding(l);
            rotate(q, local, t);
            rotate(k, local, t);
            double[][] att = attention(q, k, v, local ? f.window() : 0, l);
            double[][] o = matmul(att, w.get(pre + "self_attn.o_proj.weight"), d);
            if (f.gemma()) {
                o = norm(o, w.get(pre + "post_attention_layernorm.weight"));
            }
            dropRows(o, l, DropoutKey.Site.ATTENTION_OUTPUT);
            add(h, o);
            x = norm(h, w.get(pre + (f.gemma() ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")));
            double[][] gate;
            double[][] up;
            if (f.fused()) {
                double[][] gu = matmul(x, w.get(pre + "mlp.gate_up_proj.weight"), 2 * f.inter());
                gate = cols(gu, 0, f.inter());
                up = cols(gu, f.inter(), f.inter());
            } else {
                gate = matmul(x, w.get(pre + "mlp.gate_proj.weight"), f.inter());
                up = matmul(x, w.get(pre + "mlp.up_proj.weight"), f.inter());
            }
            for (int p = 0; p < t; p++) {
                for (int i = 0; i < f.inter(); i++) {
                    double g = gate[p][i];
                    double a = f.gemma()
                            ? 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)))
                            : g / (1 + Math.exp(-g));
                    gate[p][i] = a * up[p][i];
                }
            }
            double[][] m = matmul(gate, w.get(pre + "mlp.down_proj.weight"), d);
            if (f.gemma()) {
                m = norm(m, w.get(pre + "post_feedforward_layernorm.weight"));
            }
            dropRows(m, l, DropoutKey.Site.MLP_OUTPUT);
            add(h, m);
        }
        double[][] out = matmul(norm(h, w.get("model.norm.weight")),
                w.get(f.tied() ? "model.embed_tokens.weight" : "lm_head.weight"), f.vocab());
        if (f.finalCap() > 0) {
            for (double[] row : out) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = f.finalCap() * Math.tanh(row[i] / f.finalCap());
                }
            }
        }
        return out;
    }

    /** RMSNorm over each row; Gemma's weight is the offset from 1. */
    private double[][] norm(double[][] x, double[] g) {
        double[][] y = new double[x.length][];
        for (int p = 0; p < x.length; p++) {
            y[p] = normVec(x[p], 0, x[p].length, g);
        }
        return y;
    }

    private double[] normVec(double[] x, int off, int n, double[] g) {
        double ms = 0;
        for (int i = 0; i < n; i++) {
            ms += x[off + i] * x[off + i];
        }
        double r = 1.0 / Math.sqrt(ms / n + f.eps());
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = x[off + i] * r * (f.gemma() ? 1 + g[i] : g[i]);
        }
        return y;
    }

    private void headNorm(double[][] x, double[] g) {
        int hd = f.hd();
        for (double[] row : x) {
            for (int off = 0; off < row.length; off += hd) {
                System.arraycopy(normVec(row, off, hd, g), 0, row, off, hd);
            }
        }
    }

    /** Rotates each head's pairs (i, i + hd/2) by position * inv_freq_i, times the attention factor. */
    private void rotate(double[][] x, boolean local, int seqLen) {
        int hd = f.hd();
        int half = hd / 2;
        double[] inv = new double[half];
        double factor = 1.0;
        double theta = local && f.localTheta() > 0 ? f.localTheta() : f.theta();
        for (int i = 0; i < half; i++) {
            inv[i] = Math.pow(theta, -2.0 * i / hd);
        }
        Map<String, Object> r = local && f.localTheta() > 0 ? null : f.rope();
        if (r != null) {
            String type = (String) r.getOrDefault("rope_type", r.get("type"));
            factor = scale(type, r, inv, hd, theta, seqLen);
        }
        for (int p = 0; p < x.length; p++) {
            for (int off = 0; off < x[p].length; off += hd) {
                for (int i = 0; i < half; i++) {
                    double a = p * inv[i];
                    double c = Math.cos(a) * factor;
                    double s = Math.sin(a) * factor;
                    double x1 = x[p][off + i];
                    double x2 = x[p][off + i + half];
                    x[p][off + i] = x1 * c - x2 * s;
                    x[p][off + i + half] = x2 * c + x1 * s;
                }
            }
        }
    }

    /** Applies the scaling type to inv in place; returns the cos/sin multiplier. */
    private double scale(String type, Map<String, Object> r, double[] inv, int hd, double theta, int seqLen) {
        switch (type) {
            case "linear": {
                double factor = num(r, "factor");
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= factor;
                }
                return 1.0;
            }
            case "llama3": {
                double factor = num(r, "factor");
                double lo = num(r, "low_freq_factor");
                double hi = num(r, "high_freq_factor");
                double old = num(r, "original_max_position_embeddings");
                for (int i = 0; i < inv.length; i++) {
                    double wl = 2 * Math.PI / inv[i];
                    if (wl > old / lo) {
                        inv[i] = inv[i] / factor;
                    } else if (wl >= old / hi) {
                        double sm = (old / wl - lo) / (hi - lo);
                        inv[i] = (1 - sm) * inv[i] / factor + sm * inv[i];
                    }
                }
                return 1.0;
            }
            case "yarn": {
                double factor = num(r, "factor");
                double old = num(r, "original_max_position_embeddings");
                double lowD = Math.floor(hd * Math.log(old / (32 * 2 * Math.PI)) / (2 * Math.log(theta)));
                double highD = Math.ceil(hd * Math.log(old / (1 * 2 * Math.PI)) / (2 * Math.log(theta)));
                lowD = Math.max(lowD, 0);
                highD = Math.min(highD, hd - 1);
                for (int i = 0; i < inv.length; i++) {
                    double ramp = Math.max(0, Math.min(1, (i - lowD) / (highD - lowD)));
                    // ramp 0: keep (extrapolate), ramp 1: divide by factor (interpolate)
                    inv[i] = inv[i] * (1 - ramp) + inv[i] / factor * ramp;
                }
                return 0.1 * Math.log(factor) + 1.0;
            }
            case "longrope": {
                int old = f.original();
                double factor = (double) f.maxPos() / old;
                double[] ext = (double[]) r.get(seqLen > old ? "long_factor" : "short_factor");
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= ext[i];
                }
                return Math.sqrt(1 + Math.log(factor) / Math.log(old));
            }
            default:
                throw new IllegalArgumentException(type);
        }
    }

    private static double num(Map<String, Object> r, String k) {
        return ((Number) r.get(k)).doubleValue();
    }

    /** Causal (optionally banded) softmax attention with grouped kv heads and optional logit soft-cap. */
    private double[][] attention(double[][] q, double[][] k, double[][] v, int window, int layer) {
        int t = q.length;
        double[] keep = attnP == 0 ? null
                : scaledKeep(new long[] {1, f.heads(), t, t}, attnP, layer, DropoutKey.Site.ATTENTION);
        int hd = f.hd();
        int group = f.heads() / f.kvHeads();
        double scale = 1.0 / Math.sqrt(f.queryScalar() > 0 ? f.queryScalar() : hd);
        double[][] out = new double[t][f.heads() * hd];
        for (int hh = 0; hh < f.heads(); hh++) {
            int kvh = hh / group;
            for (int p = 0; p < t; p++) {
                int from = window > 0 ? Math.max(0, p - window + 1) : 0;
                double[] s = new double[p + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = from; j <= p; j++) {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) {
                        dot += q[p][hh * hd + i] * k[j][kvh * hd + i];
                    }
                    dot *= scale;
                    if (f.attnCap() > 0) {
                        dot = f.attnCap() * Math.tanh(dot / f.attnCap());
                    }
                    s[j] = dot;
                    max = Math.max(max, dot);
                }
                double z = 0;
                for (int j = from; j <= p; j++) {
                    s[j] = Math.exp(s[j] - max);
                    z += s[j];
                }
                for (int j = from; j <= p; j++) {
                    for (int i = 0; i < hd; i++) {
                        double prob = s[j] / z * (keep == null ? 1 : keep[(hh * t + p) * t + j]);
                        out[p][hh * hd + i] += prob * v[j][kvh * hd + i];
                    }
                }
            }
        }
        return out;
    }

    /** x (T, in) times W^T with W stored (out, in) row-major. */
    private static double[][] matmul(double[][] x, double[] wt, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int p = 0; p < x.length; p++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                int base = o * in;
                for (int i = 0; i < in; i++) {
                    s += x[p][i] * wt[base + i];
                }
                y[p][o] = s;
            }
        }
        return y;
    }

    private static double[][] cols(double[][] x, int from, int n) {
        double[][] y = new double[x.length][n];
        for (int p = 0; p < x.length; p++) {
            System.arraycopy(x[p], from, y[p], 0, n);
        }
        return y;
    }

    private static void add(double[][] h, double[][] o) {
        for (int p = 0; p < h.length; p++) {
            for (int i = 0; i < h[p].length; i++) {
                h[p][i] += o[p][i];
            }
        }
    }
}
