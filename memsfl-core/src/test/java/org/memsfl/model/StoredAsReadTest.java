package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.quant.WeightStorage;
import org.memsfl.util.BadInputException;

/**
 * A device storage form applied as each layer weight is read ({@code HfModelLoader.load(.., storage)},
 * {@code RandomInit.create(.., storage)}) stores exactly what loading the float model and calling
 * {@code quantizeLayers} stores: the same bytes per dtype and bit-identical logits, for gpt2 (Conv1D weights
 * transposed on reading) and the llama family, Hugging Face directories and random presets.
 */
class StoredAsReadTest {

    @ParameterizedTest
    @EnumSource(value = WeightStorage.class, names = {"BF16", "INT8", "NF4"})
    void hfDirectoriesStoredAsReadEqualQuantizedAfterwards(WeightStorage storage, @TempDir Path dir) {
        for (String preset : new String[] {"tiny-gpt2", "tiny-llama"}) {
            ModelConfig c = ModelPresets.get(preset);
            Path d = dir.resolve(preset);
            try (DecoderModel m = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F32, 4)) {
                HfModelWriter.save(m, d, DType.F32);
            }
            try (DecoderModel after = HfModelLoader.load(d, LayerRange.all(c.nLayers()), DType.F32);
                 DecoderModel asRead = HfModelLoader.load(d, LayerRange.all(c.nLayers()), DType.F32, storage)) {
                after.quantizeLayers(storage);
                assertSame(after, asRead, preset + " " + storage);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = WeightStorage.class, names = {"BF16", "INT8", "NF4"})
    void randomPresetsStoredAsDrawnEqualQuantizedAfterwards(WeightStorage storage) {
        for (String preset : new String[] {"tiny-gpt2", "tiny-phi3"}) {
            ModelConfig c = ModelPresets.get(preset);
            try (DecoderModel after = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F32, 9);
                 DecoderModel asRead = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F32, 9, storage)) {
                after.quantizeLayers(storage);
                assertSame(after, asRead, preset + " " + storage);
            }
        }
        // fp32 storage of a float32 model is the model itself: nothing stored apart
        try (DecoderModel m = RandomInit.create(ModelPresets.get("tiny-gpt2"), LayerRange.all(3), DType.F32, 9,
                WeightStorage.FP32)) {
            assertThat(m.hasQuantizedLayers()).isFalse();
        }
    }

    /** A NaN is still refused with the directory and tensor named when the weight is stored as it is read. */
    @Test
    void nanInALayerWeightIsNamed(@TempDir Path dir) {
        ModelConfig c = ModelPresets.get("tiny-llama");
        try (DecoderModel m = RandomInit.create(c, LayerRange.all(3), DType.F32, 4)) {
            HfModelWriter.save(m, dir, DType.F32);
        }
        HfModelLoaderBadInputTest.rewriteWeights(dir, w -> {
            float[] v = Tensors.toFloats(w.get("model.layers.1.mlp.up_proj.weight"));
            v[17] = Float.NaN;
            w.put("model.layers.1.mlp.up_proj.weight", Tensors.fromFloats(v, 24, 16));
        });
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32, WeightStorage.NF4))
                .isInstanceOf(BadInputException.class).hasMessageContaining(dir.toString())
                .hasMessageContaining("model.layers.1.mlp.up_proj.weight").hasMessageContaining("NaN");
    }

    private static void assertSame(DecoderModel after, DecoderModel asRead, String what) {
        assertThat(asRead.hasQuantizedLayers()).as(what).isTrue();
        assertThat(asRead.bytesByDtype()).as(what).isEqualTo(after.bytesByDtype());
        assertThat(asRead.weights().keySet()).as(what).isEqualTo(after.weights().keySet());
        SplittableRandom r = new SplittableRandom(2);
        long[] ids = new long[2 * 10];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(after.config().vocabSize());
        }
        try (NoGradGuard ng = new NoGradGuard(); NativeScope s = new NativeScope()) {
            float[] a = Tensors.toFloats(after.forward(Tensors.fromLongs(ids, 2, 10), ForwardContext.inference(null)));
            float[] b = Tensors.toFloats(asRead.forward(Tensors.fromLongs(ids, 2, 10), ForwardContext.inference(null)));
            assertThat(b).as(what).containsExactly(a);
        }
    }
}
