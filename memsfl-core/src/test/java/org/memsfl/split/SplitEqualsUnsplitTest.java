package org.memsfl.split;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.memsfl.data.Batch;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.model.LayerRange;
import org.memsfl.model.Llama2cLoader;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;
import org.memsfl.train.AdamW;
import org.memsfl.train.BatchTensors;
import org.memsfl.train.Loss;

/**
 * A split step (device segment, payload, server segment, gradient back across the cut) gives the unsplit model's
 * loss and LoRA gradients, for every cut. The split path runs the same float32 kernels on the same values, and the
 * hand-off copies the activations bit for bit, so the only possible difference is accumulation order inside autograd:
 * 1e-6 relative (plus 1e-9 absolute for near-zero entries) is far below any real mistake (a wrong or missing
 * gradient term changes entries by orders of magnitude more).
 */
class SplitEqualsUnsplitTest {

    static DecoderModel stories;
    static DecoderModel gpt2;

    @BeforeAll
    static void load() {
        stories = Llama2cLoader.load(Assets.stories260K(), LayerRange.all(5), DType.F32);
        gpt2 = RandomInit.create(ModelPresets.get("tiny-gpt2"), LayerRange.all(3), DType.F32, 3);
    }

    @AfterAll
    static void close() {
        stories.close();
        gpt2.close();
    }

    static List<Arguments> cuts() {
        return List.of(Arguments.of("stories260K", 1), Arguments.of("stories260K", 2), Arguments.of("stories260K", 3),
                Arguments.of("stories260K", 4), Arguments.of("tiny-gpt2", 1), Arguments.of("tiny-gpt2", 2));
    }

    @ParameterizedTest(name = "{0} cut {1}")
    @MethodSource("cuts")
    void splitStepEqualsUnsplitStep(String name, int cut) {
        DecoderModel model = name.equals("stories260K") ? stories : gpt2;
        int n = model.config().nLayers();
        List<String> targets = model.config().family() == org.memsfl.model.ModelFamily.LLAMA
                ? List.of("embed", "q", "v", "down") : List.of("embed", "q", "v", "c_fc");
        LoraConfig lora = new LoraConfig(4, 8, 0, targets);
        AdapterSet base = org.memsfl.lora.LoraGradientTestSupport.randomised(AdapterSet.init(model.config(), lora, LayerRange.all(n), 1), 2);
        Batch b = batch(model.config().vocabSize(), 2, 12);

        AdapterSet whole = base.copy();
        Tensor loss = Loss.crossEntropy(model.forward(BatchTensors.inputIds(b), ForwardContext.training(whole)),
                BatchTensors.targets(b));
        loss.backward();

        AdapterSet all = base.copy();
        AdapterSet deviceAdapters = all.slice(0, cut, true);
        AdapterSet serverAdapters = all.slice(cut, n, false);
        ServerState state = new ServerState(cut, model, serverAdapters,
                new AdamW(serverAdapters.namedParameters(), AdamW.Settings.defaults()));
        try (DeviceSegment device = new DeviceSegment("d0", cut, model, deviceAdapters, AdamW.Settings.defaults())) {
            Tensor hidden = device.forward(b);
            GradientPayload g = ServerSegment.gradient(state, device.payload(hidden, b));
            device.backward(hidden, g.grad());
            assertThat(g.loss()).isCloseTo(loss.item().toDouble(), org.assertj.core.api.Assertions.within(1e-6));
        }
        Map<String, Tensor> expected = whole.namedParameters();
        Map<String, Tensor> actual = all.namedParameters();
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (String k : expected.keySet()) {
            float[] e = Tensors.toFloats(expected.get(k).grad());
            float[] a = Tensors.toFloats(actual.get(k).grad());
            for (int i = 0; i < e.length; i++) {
                assertThat((double) a[i]).as("%s[%d] at cut %d", k, i, cut)
                        .isCloseTo(e[i], org.assertj.core.api.Assertions.within(1e-9 + 1e-6 * Math.abs(e[i])));
            }
        }
    }

    /**
     * Micro-batching the server segment one row at a time leaves the loss and every gradient as they were. Float32
     * kernels block a batch of 1 differently from a batch of 2, so sums differ in order (seen: 3e-5 relative);
     * 1e-4 relative plus 1e-7 absolute still fails any wrong loss scaling, which is off by tens of percent.
     */
    @org.junit.jupiter.api.Test
    void serverMicroBatchesGiveTheWholeBatchGradients() {
        int n = 5;
        int cut = 2;
        LoraConfig lora = new LoraConfig(4, 8, 0, List.of("q", "v", "down"));
        AdapterSet base = org.memsfl.lora.LoraGradientTestSupport.randomised(
                AdapterSet.init(stories.config(), lora, LayerRange.all(n), 1), 2);
        Batch b = batch(512, 2, 12);
        float[][] cutGrads = new float[2][];
        Map<String, float[]>[] adapterGrads = new Map[2];
        double[] losses = new double[2];
        for (int run = 0; run < 2; run++) {
            AdapterSet server = base.copy().slice(cut, n, false);
            ServerState state = new ServerState(cut, stories, server, new AdamW(server.namedParameters(), AdamW.Settings.defaults()));
            Tensor hidden = stories.forwardLayers(stories.embed(BatchTensors.inputIds(b), ForwardContext.inference(null)), 0, cut,
                    ForwardContext.inference(null));
            GradientPayload g = ServerSegment.gradient(state, new ActivationPayload("d", cut, hidden.detach(),
                    BatchTensors.targets(b), b.lengths()), run == 0 ? 0 : 1);
            cutGrads[run] = Tensors.toFloats(g.grad());
            losses[run] = g.loss();
            adapterGrads[run] = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : server.namedParameters().entrySet()) {
                adapterGrads[run].put(e.getKey(), Tensors.toFloats(e.getValue().grad()));
            }
        }
        // the loss is a float32 sum too: the same relative bound (1e-6 absolute is 2 ulps at 15.7, and OpenBLAS's
        // Haswell kernels, OPENBLAS_CORETYPE=Haswell, land exactly 2 ulps apart)
        assertThat(losses[1]).isCloseTo(losses[0], org.assertj.core.api.Assertions.within(1e-7 + 1e-6 * Math.abs(losses[0])));
        for (int i = 0; i < cutGrads[0].length; i++) {
            assertThat((double) cutGrads[1][i]).isCloseTo(cutGrads[0][i], org.assertj.core.api.Assertions.within(1e-7 + 1e-4 * Math.abs(cutGrads[0][i])));
        }
        for (String k : adapterGrads[0].keySet()) {
            float[] e = adapterGrads[0].get(k);
            float[] a = adapterGrads[1].get(k);
            for (int i = 0; i < e.length; i++) {
                assertThat((double) a[i]).as(k).isCloseTo(e[i], org.assertj.core.api.Assertions.within(1e-7 + 1e-4 * Math.abs(e[i])));
            }
        }
    }

    static Batch batch(int vocab, int bsz, int t) {
        SplittableRandom rng = new SplittableRandom(4);
        long[] ids = new long[bsz * t];
        long[] tg = new long[bsz * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(vocab);
            tg[i] = i % t < 3 ? Loss.IGNORE : rng.nextInt(vocab);
        }
        return new Batch(ids, tg, new int[] {t, t}, bsz, t);
    }
}
