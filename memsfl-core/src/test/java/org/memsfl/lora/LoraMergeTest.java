package org.memsfl.lora;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
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
import org.memsfl.model.ModelFamily;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;

/**
 * Merged weights give the adapter forward's logits. Float64, so the only difference is summation order:
 * 1e-10 absolute is far below any real discrepancy (adapter updates here are ~1e-2).
 */
class LoraMergeTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-gpt2"})
    void mergedForwardEqualsAdapterForward(String preset) {
        ModelConfig c = ModelPresets.get(preset);
        List<String> targets = c.family() == ModelFamily.LLAMA ? List.of("embed", "q", "v", "down") : List.of("q", "v", "c_fc");
        try (DecoderModel model = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F64, 1);
             NoGradGuard ng = new NoGradGuard()) {
            AdapterSet a = LoraGradientTest.randomised(
                    AdapterSet.init(c, new LoraConfig(4, 8, 0, targets), LayerRange.all(c.nLayers()), 2).to(DType.F64), 9);
            Tensor ids = Tensors.fromLongs(new long[] {1, 5, 9, 3, 7, 2, 4, 8}, 2, 4);
            double[] base = Tensors.toDoubles(model.forward(ids, ForwardContext.inference(null)));
            double[] adapted = Tensors.toDoubles(model.forward(ids, ForwardContext.inference(a)));
            LoraMerge.merge(model, a);
            double[] merged = Tensors.toDoubles(model.forward(ids, ForwardContext.inference(null)));
            LoraMerge.unmerge(model, a);
            double[] restored = Tensors.toDoubles(model.forward(ids, ForwardContext.inference(null)));
            assertThat(maxDiff(adapted, base)).as("adapters change the output").isGreaterThan(1e-3);
            assertThat(maxDiff(merged, adapted)).isLessThan(1e-10);
            assertThat(maxDiff(restored, base)).isLessThan(1e-10);
        }
    }

    @org.junit.jupiter.api.Test
    void refusesToMergeEmbeddingAdapterIntoTiedHead() {
        ModelConfig c = ModelPresets.get("tiny-gpt2");
        try (DecoderModel model = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F32, 1)) {
            AdapterSet a = AdapterSet.init(c, new LoraConfig(2, 4, 0, List.of("embed")), LayerRange.all(c.nLayers()), 2);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> LoraMerge.merge(model, a))
                    .hasMessageContaining("tied");
        }
    }

    static double maxDiff(double[] x, double[] y) {
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }
}
