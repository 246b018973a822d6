package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;

/**
 * Checks {@link HfModelLoader} + {@link Gpt2Model} against an independent GPT-2 forward written here in plain Java
 * double loops over weights read by a tiny safetensors parser of its own (8-byte little-endian header length, JSON
 * header, little-endian float32 data) — nothing of memsfl's loading or libtorch's maths is shared. The reference
 * follows the GPT-2 definition: pre-LayerNorm blocks, Conv1D as {@code x @ W + b} with W stored (in, out), causal
 * softmax attention scaled by 1/sqrt(head_dim), GELU with the tanh approximation, residuals, ln_f, and logits
 * against the tied token embedding.
 */
class Gpt2NaiveReferenceTest {

    /**
     * Absolute tolerance on logits. Logits here are O(0.05): weights ~N(0, 0.02), LayerNorm output O(1) times an
     * embedding row. libtorch computes in float32 (~6e-8 relative precision), the reference in double; a dozen
     * dependent float32 operations, with LayerNorm dividing by a standard deviation of ~0.02 (amplifying earlier
     * absolute errors ~50x), leave errors of order 1e-8 to 1e-7 (2.2e-8 measured on the fixture). 1e-6 leaves a
     * wide margin for other BLAS builds, yet sits ~850x below the error a wrong weight layout produces (8.5e-4,
     * {@link #referenceDetectsATransposedProjection}).
     */
    static final double TOL = 1e-6;

    static final int[][] IDS = {{0, 5, 20, 3, 7}, {19, 1, 1, 12, 9}};

    @Test
    void tinyGpt2RandomMatchesNaiveReference() throws IOException {
        Path dir = Assets.root().resolve("models/tiny-gpt2-random");
        Naive ref = Naive.read(dir);
        try (DecoderModel m = HfModelLoader.load(dir, LayerRange.all(1), DType.F32)) {
            assertThat(m.config().vocabSize()).isEqualTo(21);
            double[][][] got = logits(m, IDS);
            double maxDiff = 0;
            for (int b = 0; b < IDS.length; b++) {
                double[][] want = ref.forward(IDS[b], false);
                maxDiff = Math.max(maxDiff, maxAbsDiff(got[b], want));
            }
            assertThat(maxDiff).isLessThan(TOL);
        }
    }

    /** The comparison can fail: reading c_proj as (out, in) instead of Conv1D (in, out) moves logits far past TOL. */
    @Test
    void referenceDetectsATransposedProjection() throws IOException {
        Path dir = Assets.root().resolve("models/tiny-gpt2-random");
        Naive ref = Naive.read(dir);
        try (DecoderModel m = HfModelLoader.load(dir, LayerRange.all(1), DType.F32)) {
            double[][][] got = logits(m, IDS);
            double maxDiff = 0;
            for (int b = 0; b < IDS.length; b++) {
                maxDiff = Math.max(maxDiff, maxAbsDiff(got[b], ref.forward(IDS[b], true)));
            }
            assertThat(maxDiff).isGreaterThan(100 * TOL);
        }
    }

    /** Three layers and two heads (the fixture has one of each), written by {@link HfModelWriter}. */
    @Test
    void writtenMultiHeadGpt2MatchesNaiveReference(@TempDir Path tmp) throws IOException {
        ModelConfig c = ModelPresets.get("tiny-gpt2");
        try (DecoderModel random = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F32, 7)) {
            HfModelWriter.save(random, tmp, DType.F32);
        }
        Naive ref = Naive.read(tmp);
        int[][] ids = {{1, 60, 33, 2, 63, 0}, {5, 5, 5, 40, 17, 8}};
        try (DecoderModel m = HfModelLoader.load(tmp, LayerRange.all(c.nLayers()), DType.F32)) {
            double[][][] got = logits(m, ids);
            for (int b = 0; b < ids.length; b++) {
                assertThat(maxAbsDiff(got[b], ref.forward(ids[b], false))).isLessThan(TOL);
            }
        }
    }

    static double[][][] logits(DecoderModel m, int[][] ids) {
        int bsz = ids.length;
        int t = ids[0].length;
        long[] flat = new long[bsz * t];
        for (int b = 0; b < bsz; b++) {
            for (int i = 0; i < t; i++) {
                flat[b * t + i] = ids[b][i];
            }
        }
        Tensor out = m.forward(Tensors.fromLongs(flat, bsz, t), ForwardContext.inference(null));
        int v = m.config().vocabSize();
        assertThat(Tensors.shape(out)).containsExactly(bsz, t, v);
        float[] f = Tensors.toFloats(out);
        double[][][] r = new double[bsz][t][v];
        for (int b = 0; b < bsz; b++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < v; j++) {
                    r[b][i][j] = f[(b * t + i) * v + j];
                }
            }
        }
        return r;
    }

    static double maxAbsDiff(double[][] a, double[][] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return m;
    }

    /** GPT-2 in double loops over its own reading of config.json and model.safetensors. */
    static final class Naive {
        final Map<String, double[]> w;
        final int c;
        final int layers;
        final int heads;
        final int vocab;
        final double eps;

        Naive(Map<String, double[]> w, JsonNode cfg) {
            this.w = w;
            this.c = cfg.get("n_embd").asInt();
            this.layers = cfg.get("n_layer").asInt();
            this.heads = cfg.get("n_head").asInt();
            this.vocab = cfg.get("vocab_size").asInt();
            this.eps = cfg.has("layer_norm_epsilon") ? cfg.get("layer_norm_epsilon").asDouble() : 1e-5;
        }

        static Naive read(Path dir) throws IOException {
            JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
            byte[] bytes = Files.readAllBytes(dir.resolve("model.safetensors"));
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int n = (int) buf.getLong(0);
            JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, n, java.nio.charset.StandardCharsets.UTF_8));
            Map<String, double[]> w = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                assertThat(e.getValue().get("dtype").asText()).isEqualTo("F32");
                long begin = e.getValue().get("data_offsets").get(0).asLong();
                long end = e.getValue().get("data_offsets").get(1).asLong();
                double[] d = new double[(int) ((end - begin) / 4)];
                for (int i = 0; i < d.length; i++) {
                    d[i] = buf.getFloat((int) (8 + n + begin) + 4 * i);
                }
                w.put(e.getKey().startsWith("transformer.") ? e.getKey().substring(12) : e.getKey(), d);
            }
            return new Naive(w, cfg);
        }

        /** Logits (T, vocab) of one sequence; {@code transposeAttnProj} deliberately misreads c_proj. */
        double[][] forward(int[] ids, boolean transposeAttnProj) {
            int t = ids.length;
            double[][] x = new double[t][c];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < c; j++) {
                    x[i][j] = w.get("wte.weight")[ids[i] * c + j] + w.get("wpe.weight")[i * c + j];
                }
            }
            for (int l = 0; l < layers; l++) {
                String p = "h." + l + ".";
                double[][] a = layerNorm(x, p + "ln_1");
                double[][] qkv = conv1d(a, p + "attn.c_attn", 3 * c, false);
                double[][] y = attention(qkv);
                add(x, conv1d(y, p + "attn.c_proj", c, transposeAttnProj));
                double[][] m = layerNorm(x, p + "ln_2");
                int inner = w.get(p + "mlp.c_fc.bias").length;
                double[][] f = conv1d(m, p + "mlp.c_fc", inner, false);
                for (double[] row : f) {
                    for (int j = 0; j < row.length; j++) {
                        row[j] = gelu(row[j]);
                    }
                }
                add(x, conv1d(f, p + "mlp.c_proj", c, false));
            }
            double[][] h = layerNorm(x, "ln_f");
            double[][] logits = new double[t][vocab];
            double[] wte = w.get("wte.weight");
            for (int i = 0; i < t; i++) {
                for (int v = 0; v < vocab; v++) {
                    double s = 0;
                    for (int j = 0; j < c; j++) {
                        s += h[i][j] * wte[v * c + j];
                    }
                    logits[i][v] = s;
                }
            }
            return logits;
        }

        double[][] attention(double[][] qkv) {
            int t = qkv.length;
            int hd = c / heads;
            double[][] y = new double[t][c];
            double scale = 1.0 / Math.sqrt(hd);
            for (int hh = 0; hh < heads; hh++) {
                int qo = hh * hd;
                int ko = c + hh * hd;
                int vo = 2 * c + hh * hd;
                for (int i = 0; i < t; i++) {
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) { // causal: position i sees 0..i
                        double dot = 0;
                        for (int d = 0; d < hd; d++) {
                            dot += qkv[i][qo + d] * qkv[j][ko + d];
                        }
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = Math.exp(s[j] - max);
                        z += s[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int d = 0; d < hd; d++) {
                            y[i][qo + d] += s[j] / z * qkv[j][vo + d];
                        }
                    }
                }
            }
            return y;
        }

        /** x @ W + b with W stored (in, out), as GPT-2's Conv1D keeps it. */
        double[][] conv1d(double[][] x, String name, int out, boolean transposed) {
            double[] wt = w.get(name + ".weight");
            double[] b = w.get(name + ".bias");
            int in = x[0].length;
            double[][] y = new double[x.length][out];
            for (int i = 0; i < x.length; i++) {
                for (int o = 0; o < out; o++) {
                    double s = b[o];
                    for (int k = 0; k < in; k++) {
                        s += x[i][k] * (transposed ? wt[o * in + k] : wt[k * out + o]);
                    }
                    y[i][o] = s;
                }
            }
            return y;
        }

        double[][] layerNorm(double[][] x, String name) {
            double[] g = w.get(name + ".weight");
            double[] b = w.get(name + ".bias");
            double[][] y = new double[x.length][c];
            for (int i = 0; i < x.length; i++) {
                double mean = 0;
                for (double v : x[i]) {
                    mean += v;
                }
                mean /= c;
                double var = 0;
                for (double v : x[i]) {
                    var += (v - mean) * (v - mean);
                }
                var /= c; // biased variance, as torch.layer_norm
                for (int j = 0; j < c; j++) {
                    y[i][j] = (x[i][j] - mean) / Math.sqrt(var + eps) * g[j] + b[j];
                }
            }
            return y;
        }

        static double gelu(double x) {
            return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        }

        static void add(double[][] x, double[][] d) {
            for (int i = 0; i < x.length; i++) {
                for (int j = 0; j < x[i].length; j++) {
                    x[i][j] += d[i][j];
                }
            }
        }
    }
}
