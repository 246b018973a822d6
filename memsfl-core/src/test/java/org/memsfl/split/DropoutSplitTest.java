package org.memsfl.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.memsfl.data.Batch;
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
import org.memsfl.model.ModelDropout;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;
import org.memsfl.train.AdamW;
import org.memsfl.train.BatchTensors;
import org.memsfl.train.Loss;

/**
 * With dropout inside the base model, a split step still gives the unsplit model's loss and every LoRA gradient: the
 * device and the server derive the step's {@code DropoutKey} from the round and the batch, so both halves drop the
 * units the unsplit pass drops, also when the server runs micro-batches and recomputes its layers, or the device
 * recomputes its own. Tolerance as {@link SplitEqualsUnsplitTest}: 1e-6 relative plus 1e-9 absolute (micro-batches of
 * one row: 1e-4, that test's bound for a float32 kernel blocking one row differently from two). Dropout moves these
 * small random models' loss by more than 1e-5 relative (checked against the p = 0 loss), and their LoRA gradients by
 * far more, so a mask drawn differently on either side fails the comparison.
 */
class DropoutSplitTest {

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String name : List.of("tiny-gpt2", "tiny-llama", "tiny-phi3")) {
            for (int cut : new int[] {1, 2}) {
                for (String mode : List.of("plain", "server micro-batches + recompute", "device recompute")) {
                    out.add(Arguments.of(name, cut, mode));
                }
            }
        }
        return out;
    }

    static ModelDropout dropout(String name) {
        return switch (name) {
            case "tiny-gpt2" -> new ModelDropout(0.1, 0.1, 0.1);   // a real GPT-2 config's values
            case "tiny-phi3" -> new ModelDropout(0, 0.2, 0.2);     // attention_dropout and resid_pdrop
            default -> new ModelDropout(0, 0.5, 0);                // attention_dropout
        };
    }

    static List<String> targets(String name) {
        return switch (name) {
            case "tiny-gpt2" -> List.of("embed", "q", "v", "c_fc", "mlp_c_proj");
            case "tiny-phi3" -> List.of("qkv", "o", "down");
            default -> List.of("embed", "q", "v", "down");
        };
    }

    @ParameterizedTest(name = "{0} cut {1} {2}")
    @MethodSource("cases")
    void splitStepEqualsUnsplitStepWithDropout(String name, int cut, String mode) {
        ModelConfig c = ModelPresets.get(name).withDropout(dropout(name));
        int n = c.nLayers();
        try (DecoderModel model = RandomInit.create(c, LayerRange.all(n), DType.F32, 3);
             DecoderModel plain = RandomInit.create(c.withDropout(ModelDropout.NONE), LayerRange.all(n), DType.F32, 3)) {
            AdapterSet base = LoraGradientTestSupport.randomised(AdapterSet.init(c, new LoraConfig(4, 8, 0, targets(name)),
                    LayerRange.all(n), 1), 2);
            Batch b = SplitEqualsUnsplitTest.batch(c.vocabSize(), 2, 12);
            AdapterSet all = base.copy();
            AdapterSet deviceAdapters = all.slice(0, cut, true);
            AdapterSet serverAdapters = all.slice(cut, n, false);
            ServerState state = new ServerState(cut, model, serverAdapters,
                    new AdamW(serverAdapters.namedParameters(), AdamW.Settings.defaults()));
            AdapterSet whole = base.copy();
            double splitLoss;
            double unsplitLoss;
            try (DeviceSegment device = new DeviceSegment("d0", cut, model, deviceAdapters, AdamW.Settings.defaults());
                 NativeScope scope = new NativeScope()) {
                device.beginRound(11, 3);
                state.beginRound(11, "d0", 3);
                Tensor loss = Loss.crossEntropy(model.forward(BatchTensors.inputIds(b),
                        ForwardContext.training(whole, null, device.dropoutKey(b))), BatchTensors.targets(b));
                loss.backward();
                unsplitLoss = loss.item().toDouble();
                boolean micro = mode.startsWith("server");
                if (mode.equals("device recompute")) {
                    device.optimizer().zeroGrad();
                    GradientPayload g = DeviceRecompute.step(device, b, p -> ServerSegment.gradient(state, p),
                            ForwardContext.training(deviceAdapters, null, device.dropoutKey(b)), device.rng());
                    splitLoss = g.loss();
                } else {
                    Tensor hidden = device.forward(b);
                    GradientPayload g = ServerSegment.gradient(state, device.payload(hidden, b), micro ? 1 : 0, micro);
                    device.backward(hidden, g.grad());
                    splitLoss = g.loss();
                }
                try (NoGradGuard ng = new NoGradGuard()) {
                    double noDropout = Loss.crossEntropy(plain.forward(BatchTensors.inputIds(b),
                            ForwardContext.training(whole, null, device.dropoutKey(b))), BatchTensors.targets(b))
                            .item().toDouble();
                    assertThat(Math.abs(unsplitLoss - noDropout) / noDropout).as("dropout moves the loss")
                            .isGreaterThan(1e-5);
                }
            }
            double rel = mode.startsWith("server") ? 1e-4 : 1e-6;
            double abs = mode.startsWith("server") ? 1e-7 : 1e-9;
            assertThat(splitLoss).isCloseTo(unsplitLoss, within(1e-7 + rel * Math.abs(unsplitLoss)));
            Map<String, Tensor> expected = whole.namedParameters();
            Map<String, Tensor> actual = all.namedParameters();
            assertThat(actual.keySet()).isEqualTo(expected.keySet());
            for (String k : expected.keySet()) {
                float[] e = Tensors.toFloats(expected.get(k).grad());
                float[] a = Tensors.toFloats(actual.get(k).grad());
                for (int i = 0; i < e.length; i++) {
                    assertThat((double) a[i]).as("%s[%d] at cut %d", k, i, cut)
                            .isCloseTo(e[i], within(abs + rel * Math.abs(e[i])));
                }
            }
            state.optimizer().close();
        }
    }
}
