package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.train.Generator;
import org.memsfl.train.Loss;

/**
 * Base-model dropout ({@link ModelDropout}) is honoured in training passes at the sites transformers applies it, and
 * nowhere else. Each case compares memsfl's training forward with a float64 implementation written here (gpt2) or
 * {@link NaiveDecoder} (llama family), which apply the same keep-masks, drawn again from the same {@link DropoutKey}.
 *
 * <p>Tolerance 1e-5 relative on the mean loss, as {@link FamilyEquivalenceTest}: float32 rounding a few hundred ops
 * deep stays far below it, while a mask at the wrong site, on the wrong axis or unscaled moves the loss by more than
 * 1e-3 (each case also checks that dropout moved the loss by more than 1e-3 from the p = 0 loss).
 */
class ModelDropoutTest {

    private static final int ROWS = 2;
    private static final int T = 12;
    private static final DropoutKey KEY = new DropoutKey(987654321L, 0);

    static Stream<Arguments> gpt2Sites() {
        return Stream.of(Arguments.of("embd_pdrop", new ModelDropout(0.3, 0, 0)),
                Arguments.of("attn_pdrop", new ModelDropout(0, 0.5, 0)),
                Arguments.of("resid_pdrop", new ModelDropout(0, 0, 0.3)),
                Arguments.of("all three", new ModelDropout(0.1, 0.1, 0.1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpt2Sites")
    void gpt2TrainingPassMatchesTheFloat64Oracle(String name, ModelDropout drop) {
        ModelConfig c = ModelPresets.get("tiny-gpt2").withDropout(drop);
        long[][] data = batch(c.vocabSize());
        try (DecoderModel m = sharpened(c);
             DecoderModel plain = sharpened(c.withDropout(ModelDropout.NONE))) {
            double actual = loss(m, data, ForwardContext.training(null, null, KEY));
            double expected = new Gpt2Oracle(m, drop, KEY).loss(data[0], data[1]);
            assertThat(actual).as(name).isCloseTo(expected, within(1e-5 * expected));
            double noDropout = loss(plain, data, ForwardContext.training(null, null, KEY));
            assertThat(Math.abs(actual - noDropout) / noDropout).as("%s moves the loss", name).isGreaterThan(1e-3);
            assertThat(new Gpt2Oracle(m, ModelDropout.NONE, KEY).loss(data[0], data[1]))
                    .isCloseTo(noDropout, within(1e-5 * noDropout));
        }
    }

    /**
     * tiny-gpt2's random weights times 8 (norms as they are): with GPT-2's std 0.02 a 16-wide model attends almost
     * uniformly, so dropping probabilities would hardly move the loss and the test could not tell a mask applied on
     * the wrong axis.
     */
    static DecoderModel sharpened(ModelConfig c) {
        try (DecoderModel base = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F32, 3)) {
            Map<String, Tensor> w = new java.util.LinkedHashMap<>();
            base.weights().forEach((k, t) -> w.put(k, k.startsWith("ln_") || k.contains(".ln_") ? t.clone()
                    : t.mul(new org.bytedeco.pytorch.Scalar(8.0))));
            return Models.create(c, LayerRange.all(c.nLayers()), w, DType.F32, "random:tiny-gpt2 x 8");
        }
    }

    static Stream<Arguments> llamaFamilies() {
        return Stream.of(Arguments.of(FamilyFixture.llama3(), 0.2, 0.0), Arguments.of(FamilyFixture.qwen3Yarn(), 0.2, 0.0),
                Arguments.of(FamilyFixture.gemma2(), 0.2, 0.0), Arguments.of(FamilyFixture.phi3(), 0.2, 0.2),
                Arguments.of(FamilyFixture.phi3(), 0.0, 0.3));
    }

    /** attention_dropout for every type, Phi-3's resid_pdrop, from the checkpoint's own config.json. */
    @ParameterizedTest(name = "{0} attention_dropout {1} resid_pdrop {2}")
    @MethodSource("llamaFamilies")
    void llamaFamilyTrainingPassMatchesTheFloat64Oracle(FamilyFixture f, double attention, double resid,
                                                        @TempDir Path dir) throws Exception {
        Map<String, double[]> weights = f.write(dir, false, 17);
        setKeys(dir, "attention_dropout", attention, f.fused() ? "resid_pdrop" : null, resid);
        int[] text = Arrays.copyOf(f.text(3), Math.min(f.textLen(), 64) + 1);
        double expected = new NaiveDecoder(f, weights).withDropout(attention, resid, KEY).loss(text);
        double plain = new NaiveDecoder(f, weights).loss(text);
        try (DecoderModel m = HfModelLoader.load(dir, LayerRange.all(f.layers()), DType.F32)) {
            assertThat(m.config().dropout()).isEqualTo(new ModelDropout(0, attention, resid));
            double actual = textLoss(m, text, ForwardContext.training(null, null, KEY));
            assertThat(actual).as(f.name()).isCloseTo(expected, within(1e-5 * expected));
            assertThat(Math.abs(actual - plain) / plain).as("dropout moves the loss").isGreaterThan(1e-3);
            // evaluation and generation never drop
            assertThat(textLoss(m, text, ForwardContext.inference(null))).isCloseTo(plain, within(1e-5 * plain));
        }
    }

    /** Phi3Model builds no embedding dropout it applies (transformers): embd_pdrop is read and changes nothing. */
    @Test
    void phi3EmbdPdropChangesNothing(@TempDir Path dir) throws Exception {
        FamilyFixture f = FamilyFixture.phi3();
        f.write(dir, false, 17);
        setKeys(dir, "embd_pdrop", 0.3, null, 0);
        int[] text = Arrays.copyOf(f.text(3), 40);
        try (DecoderModel m = HfModelLoader.load(dir, LayerRange.all(f.layers()), DType.F32)) {
            assertThat(m.config().dropout()).isEqualTo(ModelDropout.NONE);
            assertThat(textLoss(m, text, ForwardContext.training(null, null, KEY)))
                    .isEqualTo(textLoss(m, text, ForwardContext.inference(null)));
        }
    }

    /** Evaluation and generation of a model with dropout are those of the same weights without it, bit for bit. */
    @Test
    void evalAndGenerateIgnoreDropout() {
        ModelConfig c = ModelPresets.get("tiny-gpt2");
        long[][] data = batch(c.vocabSize());
        try (DecoderModel m = RandomInit.create(c.withDropout(new ModelDropout(0.3, 0.3, 0.3)), LayerRange.all(3),
                DType.F32, 3);
             DecoderModel plain = RandomInit.create(c, LayerRange.all(3), DType.F32, 3)) {
            assertThat(loss(m, data, ForwardContext.inference(null))).isEqualTo(loss(plain, data, ForwardContext.inference(null)));
            // a training pass of a model whose probabilities are 0 is the inference pass
            assertThat(loss(plain, data, ForwardContext.training(null, null, KEY)))
                    .isEqualTo(loss(plain, data, ForwardContext.inference(null)));
            int[] prompt = {1, 5, 9, 2};
            assertThat(new Generator(m, null).generate(prompt, Generator.Settings.greedy(8), -1))
                    .containsExactly(new Generator(plain, null).generate(prompt, Generator.Settings.greedy(8), -1));
        }
    }

    /** The masks are a function of the key only: the same key draws the same, another key others, rows by index. */
    @Test
    void masksAreKeyedByStepLayerSiteAndRow() {
        ModelConfig c = ModelPresets.get("tiny-gpt2").withDropout(new ModelDropout(0.1, 0.1, 0.1));
        long[][] data = batch(c.vocabSize());
        try (DecoderModel m = RandomInit.create(c, LayerRange.all(3), DType.F32, 3)) {
            double a = loss(m, data, ForwardContext.training(null, null, KEY));
            assertThat(loss(m, data, ForwardContext.training(null, null, KEY))).isEqualTo(a);
            assertThat(loss(m, data, ForwardContext.training(null, null, new DropoutKey(KEY.seed() + 1, 0))))
                    .isNotEqualTo(a);
            assertThatThrownBy(() -> loss(m, data, ForwardContext.training(null)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("dropout key");
        }
        try (NativeScope s = new NativeScope()) {
            long[] shape = {3, 2, 5, 5};
            float[] all = Tensors.toFloats(KEY.keepMask(shape, 0.5, 1, DropoutKey.Site.ATTENTION, torch.ScalarType.Float));
            float[] row2 = Tensors.toFloats(KEY.rows(2).keepMask(new long[] {1, 2, 5, 5}, 0.5, 1,
                    DropoutKey.Site.ATTENTION, torch.ScalarType.Float));
            assertThat(Arrays.copyOfRange(all, 100, 150)).containsExactly(row2);
            float[] other = Tensors.toFloats(KEY.keepMask(shape, 0.5, 1, DropoutKey.Site.MLP_OUTPUT, torch.ScalarType.Float));
            assertThat(other).isNotEqualTo(all);
            double kept = 0;
            for (float v : all) {
                kept += v;
            }
            assertThat(kept / all.length).isBetween(0.3, 0.7);
        }
    }

    /**
     * Each row of a mask is exactly what {@code torch.bernoulli} draws for that row alone from a generator seeded
     * with {@link DropoutKey#rowSeed} (the class's definition), at a size where the draw runs in parallel chunks:
     * drawing rows in place into one mask must not change a value.
     */
    @Test
    void eachMaskRowIsTheRowDrawnOnItsOwn() {
        try (NativeScope s = new NativeScope()) {
            long[] shape = {3, 16, 128, 128};
            long[] row = {1, 16, 128, 128};
            double p = 0.1;
            float[] all = Tensors.toFloats(KEY.keepMask(shape, p, 4, DropoutKey.Site.ATTENTION, torch.ScalarType.Float));
            int perRow = 16 * 128 * 128;
            org.bytedeco.pytorch.Generator g = org.memsfl.engine.Rng.generator(0);
            for (int r = 0; r < shape[0]; r++) {
                g.set_current_seed(DropoutKey.rowSeed(KEY.seed(), 4, DropoutKey.Site.ATTENTION, r));
                Tensor alone = torch.bernoulli(torch.empty(row, new org.bytedeco.pytorch.TensorOptions(
                        torch.ScalarType.Float), new org.bytedeco.pytorch.MemoryFormatOptional()), 1 - p,
                        new org.bytedeco.pytorch.GeneratorOptional(g));
                assertThat(Arrays.copyOfRange(all, r * perRow, (r + 1) * perRow)).as("row %d", r)
                        .containsExactly(Tensors.toFloats(alone));
            }
        }
    }

    static void setKeys(Path dir, String key, double value, String key2, double value2) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = (ObjectNode) json.readTree(Files.readString(dir.resolve("config.json")));
        o.put(key, value);
        if (key2 != null) {
            o.put(key2, value2);
        }
        Files.writeString(dir.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    }

    /** {inputs, targets}, each ROWS * T, row-major. */
    static long[][] batch(int vocab) {
        SplittableRandom r = new SplittableRandom(5);
        long[] ids = new long[ROWS * T];
        long[] tg = new long[ROWS * T];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(vocab);
            tg[i] = r.nextInt(vocab);
        }
        return new long[][] {ids, tg};
    }

    static double loss(DecoderModel m, long[][] data, ForwardContext ctx) {
        try (NoGradGuard ng = new NoGradGuard(); NativeScope s = new NativeScope()) {
            Tensor logits = m.forward(Tensors.fromLongs(data[0], ROWS, T), ctx);
            return Loss.crossEntropy(logits, Tensors.fromLongs(data[1], ROWS, T)).item().toDouble();
        }
    }

    static double textLoss(DecoderModel m, int[] text, ForwardContext ctx) {
        int t = text.length - 1;
        long[] in = new long[t];
        long[] tg = new long[t];
        for (int i = 0; i < t; i++) {
            in[i] = text[i];
            tg[i] = text[i + 1];
        }
        try (NoGradGuard ng = new NoGradGuard(); NativeScope s = new NativeScope()) {
            Tensor logits = m.forward(Tensors.fromLongs(in, 1, t), ctx);
            return Loss.crossEntropy(logits, Tensors.fromLongs(tg, 1, t)).item().toDouble();
        }
    }

    /**
     * GPT-2 in float64 loops, written from transformers' modeling_gpt2 (sharing no code with memsfl's model):
     * drop(wte + wpe), then per block x + drop_resid(c_proj(attn(ln_1 x))) with drop_attn on the softmax
     * probabilities, and x + drop_resid(c_proj(gelu_tanh(c_fc(ln_2 x)))); ln_f and the tied head. Weights come from
     * the model in the (out, in) layout.
     */
    static final class Gpt2Oracle {
        private final Map<String, double[]> w = new java.util.HashMap<>();
        private final ModelConfig c;
        private final ModelDropout drop;
        private final DropoutKey key;

        Gpt2Oracle(DecoderModel m, ModelDropout drop, DropoutKey key) {
            this.c = m.config();
            this.drop = drop;
            this.key = key;
            m.weights().forEach((k, t) -> {
                float[] f = Tensors.toFloats(t);
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    d[i] = f[i];
                }
                w.put(k, d);
            });
        }

        /** keep / (1 - p) for the whole batch at one site, flattened; all ones when p is 0. */
        private double[] keep(long[] shape, double p, int layer, DropoutKey.Site site) {
            int n = 1;
            for (long s : shape) {
                n *= (int) s;
            }
            double[] out = new double[n];
            if (p == 0) {
                Arrays.fill(out, 1);
                return out;
            }
            float[] k = Tensors.toFloats(key.keepMask(shape, p, layer, site, torch.ScalarType.Float));
            for (int i = 0; i < n; i++) {
                out[i] = k[i] / (1 - p);
            }
            return out;
        }

        double loss(long[] ids, long[] targets) {
            int d = c.dim();
            int heads = c.nHeads();
            int hd = d / heads;
            int inner = c.hiddenDim();
            double[][][] h = new double[ROWS][T][d];
            double[] ek = keep(new long[] {ROWS, T, d}, drop.embedding(), -1, DropoutKey.Site.EMBEDDING);
            for (int b = 0; b < ROWS; b++) {
                for (int p = 0; p < T; p++) {
                    for (int i = 0; i < d; i++) {
                        h[b][p][i] = (w.get("wte.weight")[(int) ids[b * T + p] * d + i] + w.get("wpe.weight")[p * d + i])
                                * ek[(b * T + p) * d + i];
                    }
                }
            }
            for (int l = 0; l < c.nLayers(); l++) {
                String pre = "h." + l + ".";
                double[] ak = keep(new long[] {ROWS, heads, T, T}, drop.attention(), l, DropoutKey.Site.ATTENTION);
                double[] ok = keep(new long[] {ROWS, T, d}, drop.residual(), l, DropoutKey.Site.ATTENTION_OUTPUT);
                double[] mk = keep(new long[] {ROWS, T, d}, drop.residual(), l, DropoutKey.Site.MLP_OUTPUT);
                for (int b = 0; b < ROWS; b++) {
                    double[][] x = ln(h[b], pre + "ln_1");
                    double[][] qkv = lin(x, pre + "attn.c_attn", 3 * d);
                    double[][] att = new double[T][d];
                    for (int hh = 0; hh < heads; hh++) {
                        for (int p = 0; p < T; p++) {
                            double[] s = new double[p + 1];
                            double max = Double.NEGATIVE_INFINITY;
                            for (int j = 0; j <= p; j++) {
                                double dot = 0;
                                for (int i = 0; i < hd; i++) {
                                    dot += qkv[p][hh * hd + i] * qkv[j][d + hh * hd + i];
                                }
                                s[j] = dot / Math.sqrt(hd);
                                max = Math.max(max, s[j]);
                            }
                            double z = 0;
                            for (int j = 0; j <= p; j++) {
                                s[j] = Math.exp(s[j] - max);
                                z += s[j];
                            }
                            for (int j = 0; j <= p; j++) {
                                double prob = s[j] / z * ak[((b * heads + hh) * T + p) * T + j];
                                for (int i = 0; i < hd; i++) {
                                    att[p][hh * hd + i] += prob * qkv[j][2 * d + hh * hd + i];
                                }
                            }
                        }
                    }
                    double[][] o = lin(att, pre + "attn.c_proj", d);
                    for (int p = 0; p < T; p++) {
                        for (int i = 0; i < d; i++) {
                            h[b][p][i] += o[p][i] * ok[(b * T + p) * d + i];
                        }
                    }
                    double[][] f = lin(ln(h[b], pre + "ln_2"), pre + "mlp.c_fc", inner);
                    for (double[] row : f) {
                        for (int i = 0; i < inner; i++) {
                            double g = row[i];
                            row[i] = 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)));
                        }
                    }
                    double[][] mo = lin(f, pre + "mlp.c_proj", d);
                    for (int p = 0; p < T; p++) {
                        for (int i = 0; i < d; i++) {
                            h[b][p][i] += mo[p][i] * mk[(b * T + p) * d + i];
                        }
                    }
                }
            }
            double sum = 0;
            double[] wte = w.get("wte.weight");
            for (int b = 0; b < ROWS; b++) {
                double[][] x = ln(h[b], "ln_f");
                for (int p = 0; p < T; p++) {
                    double[] logits = new double[c.vocabSize()];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int v = 0; v < logits.length; v++) {
                        for (int i = 0; i < d; i++) {
                            logits[v] += x[p][i] * wte[v * d + i];
                        }
                        max = Math.max(max, logits[v]);
                    }
                    double z = 0;
                    for (double v : logits) {
                        z += Math.exp(v - max);
                    }
                    sum += max + Math.log(z) - logits[(int) targets[b * T + p]];
                }
            }
            return sum / (ROWS * T);
        }

        private double[][] ln(double[][] x, String name) {
            double[] g = w.get(name + ".weight");
            double[] bias = w.get(name + ".bias");
            double[][] y = new double[x.length][x[0].length];
            for (int p = 0; p < x.length; p++) {
                int n = x[p].length;
                double mean = 0;
                for (double v : x[p]) {
                    mean += v / n;
                }
                double var = 0;
                for (double v : x[p]) {
                    var += (v - mean) * (v - mean) / n;
                }
                for (int i = 0; i < n; i++) {
                    y[p][i] = (x[p][i] - mean) / Math.sqrt(var + c.normEps()) * g[i] + bias[i];
                }
            }
            return y;
        }

        private double[][] lin(double[][] x, String name, int out) {
            double[] wt = w.get(name + ".weight");
            double[] bias = w.get(name + ".bias");
            int in = x[0].length;
            double[][] y = new double[x.length][out];
            for (int p = 0; p < x.length; p++) {
                for (int o = 0; o < out; o++) {
                    double s = bias[o];
                    for (int i = 0; i < in; i++) {
                        s += x[p][i] * wt[o * in + i];
                    }
                    y[p][o] = s;
                }
            }
            return y;
        }
    }
}
