package org.memsfl.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraGradientTestSupport;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;
import org.memsfl.model.RandomInit;
import org.memsfl.train.AdamW;
import org.memsfl.train.ChunkedHeadLoss;
import org.memsfl.train.Loss;

/**
 * The chunked head and loss ({@link ChunkedHeadLoss}) against the unchunked oracle: the whole (rows, T, vocab) logits
 * through {@code Loss.crossEntropySum} and one backward. Compared: the loss, the gradient at the cut and every
 * server-side LoRA gradient, through {@link ServerSegment#gradient} (plain and recomputing, whole batch and
 * micro-batches), at a vocabulary large enough (60,000) that the default chunk rule makes several chunks.
 *
 * <p>Tolerance: 1e-6 relative in float32 (plus 1e-9 absolute for entries near zero), 1e-12 in float64. The chunked
 * path computes each token's logits, log-softmax and gradient with the same kernels on the same values; only the
 * summation order of the loss and of the head weight's row-blocks (BLAS blocking of a shorter matrix) differ, a few
 * float32 ulps. A dropped chunk, a wrong divisor or a wrong scatter changes entries by orders of magnitude more
 * ({@link #aMissingChunkIsCaught}).
 */
class ChunkedHeadLossTest {

    static final int ROWS = 3;
    static final int SEQ = 40;
    static final Map<DType, DecoderModel> MODELS = new LinkedHashMap<>();

    /** Llama shape with a GPT-2-sized vocabulary and a tiny body: an untied head of 60,000 x 16. */
    static final ModelConfig BIG_VOCAB = new ModelConfig(ModelFamily.LLAMA, 60_000, 16, 3, 2, 1, 24, 64, 1e-5,
            10000.0, false, false);

    @BeforeAll
    static void load() {
        for (DType d : List.of(DType.F32, DType.F64)) {
            MODELS.put(d, RandomInit.create(BIG_VOCAB, LayerRange.all(3), d, 11));
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(DecoderModel::close);
    }

    @Test
    void theDefaultRuleMakesSeveralChunksHere() {
        assertThat(ChunkedHeadLoss.chunkTokens(60_000, 4)).isEqualTo(34);
        assertThat(ChunkedHeadLoss.chunkTokens(60_000, 8)).isEqualTo(17);
        assertThat(ChunkedHeadLoss.chunkTokens(512, 4)).isEqualTo(4096);
        assertThat(ChunkedHeadLoss.chunkTokens(Long.MAX_VALUE / 16, 8)).isEqualTo(1);
        assertThatThrownBy(() -> ChunkedHeadLoss.chunkTokens(0, 4)).hasMessageContaining("vocab");
        // the server chunks only logits larger than one chunk: 120 positions here, but not 30 (whole head, exact
        // baseline arithmetic below one chunk)
        try (NativeScope scope = new NativeScope()) {
            assertThat(ChunkedHeadLoss.needsChunks(MODELS.get(DType.F32), hidden(DType.F32, 3))).isTrue();
            assertThat(ChunkedHeadLoss.needsChunks(MODELS.get(DType.F32), hidden(DType.F32, 3).narrow(1, 0, 10)))
                    .isFalse();
        }
    }

    @ParameterizedTest(name = "{0} chunk {1}")
    @CsvSource({"F32, 1", "F32, 7", "F32, 34", "F32, 100000", "F64, 5", "F64, 17"})
    void headEqualsTheUnchunkedHead(DType dtype, int chunk) {
        DecoderModel model = MODELS.get(dtype);
        try (NativeScope scope = new NativeScope()) {
            Tensor hidden = hidden(dtype, 3);
            Tensor targets = targets(5);
            long tokens = countTargets(targets);
            // oracle: all logits at once
            Tensor leaf = hidden.detach().clone();
            leaf.set_requires_grad(true);
            Tensor full = Loss.crossEntropySum(model.head(leaf, ForwardContext.training(null)), targets)
                    .div(Tensors.scalar(tokens));
            full.backward();
            ChunkedHeadLoss.Result r = ChunkedHeadLoss.lossAndGradient(model, hidden, targets, tokens,
                    ForwardContext.training(null), chunk);
            double rel = tol(dtype);
            assertClose("loss", new double[] {r.loss()}, new double[] {full.item().toDouble()}, rel, dtype);
            assertClose("hidden gradient", Tensors.toDoubles(r.grad()), Tensors.toDoubles(leaf.grad()), rel, dtype);
        }
    }

    @ParameterizedTest(name = "{0} cut {1} micro-batch {2} recompute {3}")
    @CsvSource({"F32, 1, 0, false", "F32, 1, 0, true", "F32, 2, 1, false", "F32, 0, 2, true", "F64, 1, 0, false",
            "F64, 2, 0, true"})
    void serverSegmentEqualsTheUnchunkedOracle(DType dtype, int cut, int micro, boolean recompute) {
        DecoderModel model = MODELS.get(dtype);
        int n = model.config().nLayers();
        try (NativeScope scope = new NativeScope()) {
            AdapterSet base = adapters(dtype);
            Tensor hidden = hidden(dtype, 9);
            Tensor targets = targets(2);
            long tokens = countTargets(targets);

            AdapterSet oracleAdapters = base.copy().slice(cut, n, false);
            Tensor leaf = hidden.detach().clone();
            leaf.set_requires_grad(true);
            ForwardContext ctx = ForwardContext.training(oracleAdapters);
            Tensor loss = Loss.crossEntropySum(model.head(model.forwardLayers(leaf, cut, n, ctx), ctx), targets)
                    .div(Tensors.scalar(tokens));
            loss.backward();

            AdapterSet chunked = base.copy().slice(cut, n, false);
            ServerState s = new ServerState(cut, model, chunked, new AdamW(chunked.namedParameters(),
                    AdamW.Settings.defaults()));
            GradientPayload g = ServerSegment.gradient(s, new ActivationPayload("d0", cut, hidden, targets,
                    new int[] {SEQ, SEQ, SEQ}), micro, recompute, true);
            double rel = tol(dtype);
            assertClose("loss", new double[] {g.loss()}, new double[] {loss.item().toDouble()}, rel, dtype);
            assertClose("cut gradient", Tensors.toDoubles(g.grad()), Tensors.toDoubles(leaf.grad()), rel, dtype);
            assertThat(chunked.namedParameters().keySet()).isEqualTo(oracleAdapters.namedParameters().keySet())
                    .isNotEmpty();
            for (Map.Entry<String, Tensor> e : oracleAdapters.namedParameters().entrySet()) {
                assertClose(e.getKey() + ".grad", Tensors.toDoubles(chunked.namedParameters().get(e.getKey()).grad()),
                        Tensors.toDoubles(e.getValue().grad()), rel, dtype);
            }
        }
    }

    /**
     * The whole-model training step's head ({@link ChunkedHeadLoss#backward}, what {@code LoraTrainer} runs): the
     * mean loss and every adapter gradient equal those of {@code Loss.crossEntropy(model.forward(...)).backward()}.
     */
    @ParameterizedTest(name = "{0} chunk {1}")
    @CsvSource({"F32, 7", "F32, 0", "F64, 13"})
    void trainingStepBackwardEqualsTheUnchunkedMeanLoss(DType dtype, int chunk) {
        DecoderModel model = MODELS.get(dtype);
        int n = model.config().nLayers();
        try (NativeScope scope = new NativeScope()) {
            AdapterSet oracle = adapters(dtype);
            AdapterSet chunked = oracle.copy();
            SplittableRandom rng = new SplittableRandom(4);
            long[] tokenIds = new long[ROWS * SEQ];
            for (int i = 0; i < tokenIds.length; i++) {
                tokenIds[i] = rng.nextInt(BIG_VOCAB.vocabSize());
            }
            Tensor ids = Tensors.fromLongs(tokenIds, ROWS, SEQ);
            Tensor targets = targets(6);

            ForwardContext octx = ForwardContext.training(oracle);
            Tensor loss = Loss.crossEntropy(model.forward(ids, octx), targets);
            loss.backward();

            ForwardContext cctx = ForwardContext.training(chunked);
            Tensor h = model.forwardLayers(model.embed(ids, cctx), 0, n, cctx);
            double got = chunk == 0 ? ChunkedHeadLoss.backward(model, h, targets, cctx) // the default chunk
                    : ChunkedHeadLoss.backward(model, h, targets, cctx, chunk);
            double rel = tol(dtype);
            assertClose("mean loss", new double[] {got}, new double[] {loss.item().toDouble()}, rel, dtype);
            assertThat(chunked.namedParameters()).isNotEmpty();
            for (Map.Entry<String, Tensor> e : oracle.namedParameters().entrySet()) {
                assertClose(e.getKey() + ".grad", Tensors.toDoubles(chunked.namedParameters().get(e.getKey()).grad()),
                        Tensors.toDoubles(e.getValue().grad()), rel, dtype);
            }
        }
    }

    /** The comparison can fail: leaving out one chunk's tokens (their targets ignored) moves loss and gradient far. */
    @Test
    void aMissingChunkIsCaught() {
        DecoderModel model = MODELS.get(DType.F32);
        try (NativeScope scope = new NativeScope()) {
            Tensor hidden = hidden(DType.F32, 3);
            Tensor targets = targets(5);
            long tokens = countTargets(targets);
            ChunkedHeadLoss.Result all = ChunkedHeadLoss.lossAndGradient(model, hidden, targets, tokens,
                    ForwardContext.training(null), 7);
            Tensor fewer = targets.clone();
            fewer.narrow(1, 20, 7).fill_(Tensors.scalar(Loss.IGNORE));
            ChunkedHeadLoss.Result missing = ChunkedHeadLoss.lossAndGradient(model, hidden, fewer, tokens,
                    ForwardContext.training(null), 7);
            assertThat(Math.abs(missing.loss() - all.loss()) / all.loss()).isGreaterThan(1e-3);
            assertThat(maxRelative(Tensors.toDoubles(missing.grad()), Tensors.toDoubles(all.grad()))).isGreaterThan(1e-3);
        }
    }

    // ------------------------------------------------------------------------------------------------------ helpers

    static double tol(DType dtype) {
        return dtype == DType.F64 ? 1e-12 : 1e-6;
    }

    static AdapterSet adapters(DType dtype) {
        LoraConfig lora = new LoraConfig(4, 8, 0, List.of("q", "v", "down"));
        AdapterSet a = LoraGradientTestSupport.randomised(AdapterSet.init(BIG_VOCAB, lora, LayerRange.all(3), 1), 2);
        return dtype == DType.F64 ? a.to(DType.F64) : a;
    }

    static Tensor hidden(DType dtype, long seed) {
        Generator g = torch.createCPUGenerator(seed);
        return torch.randn(new long[] {ROWS, SEQ, BIG_VOCAB.dim()}, new GeneratorOptional(g),
                Tensors.options(dtype.scalarType()));
    }

    /** Random targets, the first 6 positions of each row ignored (a prompt) and a few more at random. */
    static Tensor targets(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long[] t = new long[ROWS * SEQ];
        for (int i = 0; i < t.length; i++) {
            t[i] = i % SEQ < 6 || rng.nextInt(10) == 0 ? Loss.IGNORE : rng.nextInt(BIG_VOCAB.vocabSize());
        }
        return Tensors.fromLongs(t, ROWS, SEQ);
    }

    static long countTargets(Tensor targets) {
        long n = 0;
        for (long t : Tensors.toLongs(targets)) {
            n += t == Loss.IGNORE ? 0 : 1;
        }
        return n;
    }

    static double maxRelative(double[] got, double[] want) {
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(got[i] - want[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }

    /** Each entry within rel of the oracle, relative to the oracle's largest magnitude (entries near zero). */
    static void assertClose(String what, double[] got, double[] want, double rel, DType dtype) {
        assertThat(got).as(what + " length").hasSize(want.length);
        double abs = dtype == DType.F64 ? 1e-15 : 1e-9;
        for (int i = 0; i < want.length; i++) {
            double allowed = rel * Math.abs(want[i]) + abs;
            assertThat(Math.abs(got[i] - want[i])).as("%s[%d]: %s vs oracle %s", what, i, got[i], want[i])
                    .isLessThanOrEqualTo(allowed);
        }
    }
}
