package org.memsfl.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;
import org.memsfl.train.Loss;

/**
 * Autograd's LoRA gradients equal central finite differences. Float64 throughout with h = 1e-5: the truncation error
 * is O(h^2) ~ 1e-10 and rounding ~ 1e-16 / h ~ 1e-11, so 1e-6 absolute plus 1e-4 relative is a loose, safe bound
 * that a wrong gradient (off by any structural term) cannot meet.
 */
class LoraGradientTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-gpt2"})
    void gradientsMatchFiniteDifferences(String preset) {
        ModelConfig c = ModelPresets.get(preset);
        List<String> targets = c.family() == org.memsfl.model.ModelFamily.LLAMA
                ? List.of("embed", "q", "k", "v", "o", "gate", "up", "down")
                : List.of("embed", "q", "k", "v", "c_proj", "c_fc", "mlp_c_proj");
        try (DecoderModel model = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F64, 7)) {
            AdapterSet adapters = randomised(AdapterSet.init(c, new LoraConfig(2, 4, 0, targets), LayerRange.all(c.nLayers()), 3)
                    .to(DType.F64), 11);
            SplittableRandom rng = new SplittableRandom(5);
            long[] ids = new long[2 * 6];
            long[] tg = new long[2 * 6];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rng.nextInt(c.vocabSize());
                tg[i] = i % 6 < 2 ? Loss.IGNORE : rng.nextInt(c.vocabSize());
            }
            Tensor idT = Tensors.fromLongs(ids, 2, 6);
            Tensor tgT = Tensors.fromLongs(tg, 2, 6);
            Tensor loss = Loss.crossEntropy(model.forward(idT, ForwardContext.training(adapters)), tgT);
            loss.backward();
            int checked = 0;
            for (Tensor p : adapters.parameters()) {
                double[] grad = Tensors.toDoubles(p.grad());
                for (int probe = 0; probe < 3; probe++) {
                    int idx = rng.nextInt((int) p.numel());
                    double numeric = centralDifference(model, adapters, p, idx, idT, tgT);
                    assertThat(grad[idx]).as("%s %s[%d]", preset, Tensors.shape(p).length, idx)
                            .isCloseTo(numeric, within(1e-6 + 1e-4 * Math.abs(numeric)));
                    checked++;
                }
            }
            assertThat(checked).isEqualTo(adapters.parameters().size() * 3);
        }
    }

    private static double centralDifference(DecoderModel model, AdapterSet adapters, Tensor p, int idx, Tensor ids, Tensor tg) {
        double h = 1e-5;
        try (NoGradGuard ng = new NoGradGuard()) {
            Tensor flat = p.view(-1);
            double orig = flat.get(idx).item().toDouble();
            flat.get(idx).fill_(new org.bytedeco.pytorch.Scalar(orig + h));
            double up = Loss.crossEntropy(model.forward(ids, ForwardContext.inference(adapters)), tg).item().toDouble();
            flat.get(idx).fill_(new org.bytedeco.pytorch.Scalar(orig - h));
            double down = Loss.crossEntropy(model.forward(ids, ForwardContext.inference(adapters)), tg).item().toDouble();
            flat.get(idx).fill_(new org.bytedeco.pytorch.Scalar(orig));
            return (up - down) / (2 * h);
        }
    }

    /** B starts at zero, which would make every A gradient zero; give both random values. */
    static AdapterSet randomised(AdapterSet a, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Tensor p : a.parameters()) {
                double[] v = new double[(int) p.numel()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = rng.nextDouble() * 0.2 - 0.1;
                }
                p.copy_(Tensors.fromDoubles(v, Tensors.shape(p)));
            }
        }
        return a;
    }
}
