package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.util.BadInputException;

/** {@link Llama2cLoader} on stories260K: device segments and malformed files. */
class Llama2cLoaderSegmentTest {

    @Test
    void deviceSegmentHoldsEmbeddingAndItsLayersOnlyAndComputesLikeTheFullModel() {
        try (DecoderModel full = Llama2cLoader.load(Assets.stories260K(), LayerRange.all(5), DType.F32);
             DecoderModel device = Llama2cLoader.load(Assets.stories260K(), LayerRange.deviceSegment(2), DType.F32)) {
            assertThat(device.weights().keySet()).allMatch(n -> n.equals("model.embed_tokens.weight")
                    || n.startsWith("model.layers.0.") || n.startsWith("model.layers.1."));
            assertThat(device.weights()).containsKeys("model.embed_tokens.weight",
                    "model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.down_proj.weight");
            assertThat(device.weights()).doesNotContainKeys("model.norm.weight", "model.layers.2.input_layernorm.weight");
            // embedding 512*64 plus two of the five blocks
            long perLayer = (full.parameterCount() - 512 * 64 - 64) / 5;
            assertThat(device.parameterCount()).isEqualTo(512 * 64 + 2 * perLayer).isLessThan(full.parameterCount());

            ForwardContext ctx = ForwardContext.inference(null);
            Tensor ids = Tensors.fromLongs(new long[] {1, 403, 407, 261, 378, 1, 20, 300}, 2, 4);
            float[] a = Tensors.toFloats(device.forwardLayers(device.embed(ids, ctx), 0, 2, ctx));
            float[] b = Tensors.toFloats(full.forwardLayers(full.embed(ids, ctx), 0, 2, ctx));
            assertThat(a).containsExactly(b);
        }
    }

    @Test
    void truncatedCheckpoint(@TempDir Path dir) throws IOException {
        byte[] all = Files.readAllBytes(Assets.stories260K());
        Path half = dir.resolve("half.bin");
        Files.write(half, Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> Llama2cLoader.load(half, LayerRange.all(5), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(half.toString()).hasMessageContaining("truncated");
    }

    /** 28 zero bytes: a complete header whose fields are all zero, not a model. */
    @Test
    void zeroHeader(@TempDir Path dir) throws IOException {
        Path zeros = dir.resolve("zeros.bin");
        Files.write(zeros, new byte[28]);
        assertThatThrownBy(() -> Llama2cLoader.load(zeros, LayerRange.all(1), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(zeros.toString()).hasMessageContaining("not a llama2.c v0 checkpoint");
    }

    @Test
    void shortHeader(@TempDir Path dir) throws IOException {
        Path tiny = dir.resolve("tiny.bin");
        Files.write(tiny, new byte[10]);
        assertThatThrownBy(() -> Llama2cLoader.readConfig(tiny))
                .isInstanceOf(BadInputException.class).hasMessageContaining("truncated llama2.c header");
    }
}
