package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.train.Generator;
import org.memsfl.train.Loss;

/**
 * Each llama-family type memsfl supports, on a scaled-down random checkpoint written as the real one is (config keys,
 * tensor names, storage dtype), against {@link NaiveDecoder}, a float64 oracle sharing no model code.
 *
 * <p>Tolerance 1e-5 relative on the mean loss (the bound): memsfl computes in float32 (about 6e-8 per
 * rounding, a few hundred roundings deep), so 1e-5 leaves room for accumulation while a wrong RoPE band, norm offset,
 * window edge or cap moves the loss far more: the RoPE cases are checked below to move it by over 1e-3, and a window
 * one key too wide was seen to fail the Gemma-2, Gemma-3 and Mistral cases.
 */
class FamilyEquivalenceTest {

    static Stream<FamilyFixture> families() {
        return FamilyFixture.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void lossAndGreedyTokensMatchTheFloat64Oracle(FamilyFixture f, @TempDir Path dir) throws Exception {
        Map<String, double[]> weights = f.write(dir, false, 17);
        int[] text = f.text(3);
        NaiveDecoder oracle = new NaiveDecoder(f, weights);
        double expected = oracle.loss(text);
        try (DecoderModel m = HfModelLoader.load(dir, LayerRange.all(f.layers()), DType.F32)) {
            assertThat(m.config().maxSeqLen()).as("context is max_position_embeddings").isEqualTo(f.maxPos());
            double actual = loss(m, text);
            assertThat(actual).as("%s loss", f.name()).isCloseTo(expected, within(1e-5 * expected));
            int[] prompt = Arrays.copyOf(text, f.textLen() >= 200 ? 200 : 12);
            int[] greedy = new Generator(m, null).generate(prompt, Generator.Settings.greedy(8), -1);
            assertThat(greedy).as("%s greedy", f.name()).containsExactly(oracle.greedy(prompt, 8));
        }
    }

    /**
     * A Gemma-2 config whose soft-caps are null (capping disabled, as transformers reads null) against the uncapped
     * float64 oracle; Gemma2Config's defaults (50, 30) apply only when the keys are absent.
     */
    @Test
    void gemma2WithNullSoftcapsIsUncapped(@TempDir Path dir) throws Exception {
        FamilyFixture g = FamilyFixture.gemma2();
        FamilyFixture f = new FamilyFixture("gemma2-null-caps", g.modelType(), g.vocab(), g.dim(), g.layers(), g.heads(),
                g.kvHeads(), g.headDim(), g.inter(), g.maxPos(), g.eps(), g.theta(), g.tied(), g.rope(), g.original(),
                g.window(), g.pattern(), g.queryScalar(), 0, 0, g.localTheta(), g.store(), g.textLen());
        Map<String, double[]> weights = f.write(dir, false, 17);
        assertThat(Files.readString(dir.resolve("config.json"))).containsPattern("\"final_logit_softcapping\" ?: ?null");
        int[] text = f.text(3);
        double expected = new NaiveDecoder(f, weights).loss(text);
        try (DecoderModel m = HfModelLoader.load(dir, LayerRange.all(f.layers()), DType.F32)) {
            assertThat(loss(m, text)).isCloseTo(expected, within(1e-5 * expected));
        }
    }

    /** transformers 5 writes rope_parameters (nested per layer type for Gemma-3), dtype and layer_types. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void transformers5ConfigGivesTheSameLoss(FamilyFixture f, @TempDir Path dir) throws Exception {
        f.write(dir.resolve("v4"), false, 17);
        f.write(dir.resolve("v5"), true, 17);
        int[] text = f.text(3);
        try (DecoderModel v4 = HfModelLoader.load(dir.resolve("v4"), LayerRange.all(f.layers()), DType.F32);
             DecoderModel v5 = HfModelLoader.load(dir.resolve("v5"), LayerRange.all(f.layers()), DType.F32)) {
            assertThat(v5.config()).isEqualTo(v4.config());
            assertThat(loss(v5, text)).isEqualTo(loss(v4, text));
        }
    }

    /** The RoPE cases are sensitive: the same weights without the scaling give a loss outside the tolerance. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("scaled")
    void ropeScalingChangesTheLossAtLaterPositions(FamilyFixture f, @TempDir Path dir) throws Exception {
        Map<String, double[]> weights = f.write(dir, false, 17);
        int[] text = f.text(3);
        FamilyFixture plain = new FamilyFixture(f.name(), f.modelType(), f.vocab(), f.dim(), f.layers(), f.heads(),
                f.kvHeads(), f.headDim(), f.inter(), f.maxPos(), f.eps(), f.theta(), f.tied(), null, f.original(),
                f.window(), f.pattern(), f.queryScalar(), f.attnCap(), f.finalCap(), f.localTheta(), f.store(),
                f.textLen());
        double scaledLoss = new NaiveDecoder(f, weights).loss(text);
        double plainLoss = new NaiveDecoder(plain, weights).loss(text);
        assertThat(Math.abs(scaledLoss - plainLoss) / scaledLoss).isGreaterThan(1e-3);
    }

    static Stream<FamilyFixture> scaled() {
        return Stream.of(FamilyFixture.llama3(), FamilyFixture.qwen3Yarn(), FamilyFixture.phi3());
    }

    /** Mean next-token loss of memsfl over text[0..n-1] predicting text[1..n]. */
    static double loss(DecoderModel m, int[] text) {
        try (NoGradGuard ng = new NoGradGuard(); NativeScope s = new NativeScope()) {
            int t = text.length - 1;
            long[] in = new long[t];
            long[] tg = new long[t];
            for (int i = 0; i < t; i++) {
                in[i] = text[i];
                tg[i] = text[i + 1];
            }
            Tensor logits = m.forward(Tensors.fromLongs(in, 1, t), ForwardContext.inference(null));
            return Loss.crossEntropy(logits, Tensors.fromLongs(tg, 1, t)).item().toDouble();
        }
    }

    static List<FamilyFixture> newFamilies() {
        return FamilyFixture.all();
    }
}
