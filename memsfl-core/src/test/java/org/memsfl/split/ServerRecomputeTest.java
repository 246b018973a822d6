package org.memsfl.split;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraGradientTestSupport;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.Llama2cLoader;
import org.memsfl.model.ModelFamily;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;
import org.memsfl.train.AdamW;
import org.memsfl.train.Loss;
import org.memsfl.util.RunManifest;

/**
 * The server segment with layer-granular recomputation (activation checkpointing) gives the plain path's loss, cut
 * gradient and server-side adapter gradients, and leaves the device's dropout generator where the plain path leaves
 * it, for every cut (0 and N included), whole batch and micro-batches, LoRA dropout off and on, on the trained
 * stories260K (Llama) and a random tiny GPT-2.
 *
 * <p>Tolerance. Per layer, recompute runs the plain path's ops in the same order on the same values: the
 * no-autograd forward computes the same kernels as the autograd one, and the per-layer backward sums the same terms
 * into each layer input's gradient as the whole-graph backward does. So the results are expected to agree bit for
 * bit, and did on this machine in float32 and float64 (max difference 0). The assertion still allows 1e-12
 * relative in float64 and 1e-6 relative in float32 (plus a tiny absolute floor for entries near zero), as the other
 * split tests do, so that a different BLAS blocking of the same sums cannot fail it; a wrong dropout mask, a missing
 * gradient term or a wrong loss scale changes entries by orders of magnitude more ({@link #aWrongMaskIsCaught}).
 */
class ServerRecomputeTest {

    static final long RUN_SEED = 7;
    static final int ROWS = 3;
    static final int SEQ = 12;

    static final Map<String, DecoderModel> MODELS = new LinkedHashMap<>();

    /** Largest differences seen over all cases, printed at the end for the record. */
    static final Map<String, Double> MAX_DIFF = new LinkedHashMap<>();

    @BeforeAll
    static void load() {
        for (DType d : List.of(DType.F32, DType.F64)) {
            MODELS.put("stories260K/" + d, Llama2cLoader.load(Assets.stories260K(), LayerRange.all(5), d));
            MODELS.put("tiny-gpt2/" + d, RandomInit.create(ModelPresets.get("tiny-gpt2"), LayerRange.all(3), d, 3));
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(DecoderModel::close);
        System.out.println("ServerRecomputeTest max |recompute - plain| by dtype and quantity: " + MAX_DIFF);
    }

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String dtype : List.of("F32", "F64")) {
            for (int cut : new int[] {0, 1, 2, 4, 5}) {
                for (int micro : new int[] {0, 1, 2}) {
                    for (double dropout : new double[] {0, 0.2}) {
                        out.add(Arguments.of("stories260K/" + dtype, cut, micro, dropout));
                    }
                }
            }
            for (int cut : new int[] {1, 2, 3}) {
                for (int micro : new int[] {0, 1, 2}) {
                    for (double dropout : new double[] {0, 0.2}) {
                        out.add(Arguments.of("tiny-gpt2/" + dtype, cut, micro, dropout));
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} cut {1} micro-batch {2} dropout {3}")
    @MethodSource("cases")
    void recomputeEqualsThePlainPath(String name, int cut, int micro, double dropout) {
        DecoderModel model = MODELS.get(name);
        DType dtype = name.endsWith("F64") ? DType.F64 : DType.F32;
        try (NativeScope scope = new NativeScope()) {
            AdapterSet base = adapters(model, dropout, dtype);
            ActivationPayload p = payload(model, cut, dtype);
            Result plain = run(model, base, cut, p, micro, false, 1);
            Result recomputed = run(model, base, cut, p, micro, true, 1);
            double rel = dtype == DType.F64 ? 1e-12 : 1e-6;
            double abs = dtype == DType.F64 ? 1e-15 : 1e-9;
            assertClose(name + " loss", new double[] {recomputed.loss}, new double[] {plain.loss}, rel, abs, dtype);
            assertClose(name + " cut gradient", recomputed.cutGrad, plain.cutGrad, rel, abs, dtype);
            assertThat(recomputed.adapterGrads.keySet()).isEqualTo(plain.adapterGrads.keySet());
            for (String k : plain.adapterGrads.keySet()) {
                assertClose(name + " " + k + ".grad", recomputed.adapterGrads.get(k), plain.adapterGrads.get(k), rel, abs,
                        dtype);
            }
            // the generator ends where the plain path leaves it: the next mask drawn is the same, bit for bit
            assertThat(recomputed.rngState).as("generator state after the step").isEqualTo(plain.rngState);
            assertThat(recomputed.nextMask).as("next mask drawn after the step").isEqualTo(plain.nextMask);
        }
    }

    /**
     * The comparison above can fail: with dropout, the same step under other masks (the generator seeded for another
     * round, as when recompute would not put back a layer's generator state) moves the gradients far outside the
     * tolerance, and leaves the generator elsewhere.
     */
    @Test
    void aWrongMaskIsCaught() {
        DecoderModel model = MODELS.get("stories260K/F32");
        try (NativeScope scope = new NativeScope()) {
            AdapterSet base = adapters(model, 0.2, DType.F32);
            ActivationPayload p = payload(model, 2, DType.F32);
            Result plain = run(model, base, 2, p, 0, false, 1);
            Result otherMasks = run(model, base, 2, p, 0, true, 2);
            assertThat(maxRelative(otherMasks.cutGrad, plain.cutGrad, 1e-9)).isGreaterThan(1e-3);
            String k = plain.adapterGrads.keySet().iterator().next();
            assertThat(maxRelative(otherMasks.adapterGrads.get(k), plain.adapterGrads.get(k), 1e-9)).isGreaterThan(1e-3);
            assertThat(otherMasks.nextMask).isNotEqualTo(plain.nextMask);
        }
    }

    /** Several process() steps (AdamW, clipping) with a recomputing segment follow the plain segment's trajectory. */
    @Test
    void processStepsFollowThePlainTrajectory() {
        DecoderModel model = MODELS.get("tiny-gpt2/F32");
        int cut = 1;
        int n = model.config().nLayers();
        AdapterSet base = adapters(model, 0.2, DType.F32);
        List<Map<String, double[]>> finals = new ArrayList<>();
        List<List<Double>> losses = new ArrayList<>();
        for (boolean rc : new boolean[] {false, true}) {
            ServerSegment server = new ServerSegment(1, rc);
            assertThat(server.recompute()).isEqualTo(rc);
            AdapterSet a = base.copy().slice(cut, n, false);
            ServerState s = new ServerState(cut, model, a, new AdamW(a.namedParameters(), AdamW.Settings.defaults()));
            server.register("d0", s);
            s.beginRound(RUN_SEED, "d0", 1);
            List<Double> l = new ArrayList<>();
            for (int step = 0; step < 4; step++) {
                try (NativeScope scope = new NativeScope()) {
                    GradientPayload g = server.process(payload(model, cut, DType.F32, step), 1e-2, 1.0);
                    l.add(g.loss());
                    g.grad().close();
                }
            }
            Map<String, double[]> values = new LinkedHashMap<>();
            a.namedParameters().forEach((k, v) -> values.put(k, Tensors.toDoubles(v)));
            finals.add(values);
            losses.add(l);
        }
        // the same float32 tolerance as above (bitwise equal on this machine)
        for (int step = 0; step < 4; step++) {
            assertClose("loss of step " + step, new double[] {losses.get(1).get(step)}, new double[] {losses.get(0).get(step)},
                    1e-6, 1e-9, DType.F32);
        }
        for (String k : finals.get(0).keySet()) {
            assertClose(k + " after 4 steps", finals.get(1).get(k), finals.get(0).get(k), 1e-6, 1e-9, DType.F32);
        }
        assertThat(new ServerSegment(3).recompute()).isFalse();
        assertThat(new ServerSegment().recompute()).isFalse();
    }

    /** The checkpoints, generator states and per-layer gradients a recomputed step holds are all freed. */
    @Test
    void recomputedStepsKeepRssFlat() {
        DecoderModel model = MODELS.get("stories260K/F32");
        int cut = 1;
        AdapterSet a = adapters(model, 0.2, DType.F32).slice(cut, 5, false);
        ServerState s = new ServerState(cut, model, a, new AdamW(a.namedParameters(), AdamW.Settings.defaults()));
        ServerSegment server = new ServerSegment(2, true);
        server.register("d0", s);
        int[] lengths = {64, 64, 64, 64};
        long warm = 0;
        for (int i = 0; i < 120; i++) {
            if (i == 20) {
                System.gc();
                warm = RunManifest.rssBytes();
            }
            try (NativeScope scope = new NativeScope()) {
                ActivationPayload p = new ActivationPayload("d0", cut, torch.randn(4, 64, model.config().dim()),
                        targets(model.config().vocabSize(), 4, 64, i), lengths);
                server.process(p, 1e-3, 1.0).grad().close();
            }
        }
        System.gc();
        long after = RunManifest.rssBytes();
        System.out.printf("recompute: RSS after warm-up %d, after 100 more steps %d (%.2f%%)%n", warm, after,
                100.0 * (after - warm) / warm);
        assertThat(warm).isPositive();
        assertThat((double) after).isLessThan(warm * 1.05);
    }

    // ------------------------------------------------------------------------------------------------------ helpers

    record Result(double loss, double[] cutGrad, Map<String, double[]> adapterGrads, double[] rngState, double[] nextMask) {
    }

    /** One server gradient of a fresh copy of the server-side adapters, the generator seeded for {@code round}. */
    static Result run(DecoderModel model, AdapterSet base, int cut, ActivationPayload p, int micro, boolean recompute,
                      int round) {
        int n = model.config().nLayers();
        AdapterSet server = base.copy().slice(cut, n, false);
        ServerState state = new ServerState(cut, model, server, new AdamW(server.namedParameters(), AdamW.Settings.defaults()));
        state.beginRound(RUN_SEED, "d0", round);
        GradientPayload g = ServerSegment.gradient(state, p, micro, recompute);
        Map<String, double[]> grads = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : server.namedParameters().entrySet()) {
            grads.put(e.getKey(), Tensors.toDoubles(e.getValue().grad()));
        }
        double[] rngState = Tensors.toDoubles(state.rng().get_state());
        Tensor mask = torch.bernoulli(torch.ones(257), 0.5, new GeneratorOptional(state.rng()));
        return new Result(g.loss(), Tensors.toDoubles(g.grad()), grads, rngState, Tensors.toDoubles(mask));
    }

    static AdapterSet adapters(DecoderModel model, double dropout, DType dtype) {
        List<String> targets = model.config().family() == ModelFamily.LLAMA ? List.of("q", "v", "down")
                : List.of("q", "v", "c_fc");
        LoraConfig lora = new LoraConfig(4, 8, dropout, targets);
        AdapterSet a = LoraGradientTestSupport.randomised(
                AdapterSet.init(model.config(), lora, LayerRange.all(model.config().nLayers()), 1), 2);
        return dtype == DType.F64 ? a.to(DType.F64) : a;
    }

    static ActivationPayload payload(DecoderModel model, int cut, DType dtype) {
        return payload(model, cut, dtype, 0);
    }

    /** Random cut activations (ROWS, SEQ, dim) in {@code dtype} and targets with the first 3 positions ignored. */
    static ActivationPayload payload(DecoderModel model, int cut, DType dtype, long seed) {
        Generator g = torch.createCPUGenerator(100 + seed);
        Tensor hidden = torch.randn(new long[] {ROWS, SEQ, model.config().dim()}, new GeneratorOptional(g),
                Tensors.options(dtype.scalarType()));
        return new ActivationPayload("d0", cut, hidden, targets(model.config().vocabSize(), ROWS, SEQ, seed),
                new int[] {SEQ, SEQ, SEQ});
    }

    static Tensor targets(int vocab, int rows, int seq, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long[] tg = new long[rows * seq];
        for (int i = 0; i < tg.length; i++) {
            tg[i] = i % seq < 3 ? Loss.IGNORE : rng.nextInt(vocab);
        }
        return Tensors.fromLongs(tg, rows, seq);
    }

    static void assertClose(String what, double[] actual, double[] expected, double rel, double abs, DType dtype) {
        assertThat(actual).as(what + " length").hasSameSizeAs(expected);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            worst = Math.max(worst, d / Math.max(Math.abs(expected[i]), 1e-30));
            assertThat(d).as("%s[%d]: %s vs %s", what, i, actual[i], expected[i])
                    .isLessThanOrEqualTo(abs + rel * Math.abs(expected[i]));
        }
        String key = dtype + " " + (what.contains("loss") ? "loss" : what.contains("cut") ? "cut gradient"
                : what.contains("after") ? "adapters after process() steps" : "adapter gradients") + " (max relative)";
        synchronized (MAX_DIFF) {
            MAX_DIFF.merge(key, worst, Math::max);
        }
    }

    static double maxRelative(double[] a, double[] b, double floor) {
        double worst = 0;
        for (int i = 0; i < b.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
        }
        return worst;
    }
}
