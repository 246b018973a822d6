package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.DType;
import org.memsfl.engine.SafetensorsSource;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.engine.Tensors;
import org.memsfl.util.BadInputException;

/** Every malformed Hugging Face directory fails with a one-line {@link BadInputException} naming what is wrong. */
class HfModelLoaderBadInputTest {

    static final Path FIXTURE = Assets.root().resolve("models/tiny-gpt2-random");

    static Path copyFixture(Path dir) throws IOException {
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(FIXTURE.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    static void editConfig(Path dir, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        edit.accept(cfg);
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(cfg));
    }

    static Path savedTinyLlama(Path dir) {
        ModelConfig c = ModelPresets.get("tiny-llama");
        try (DecoderModel m = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F32, 1)) {
            HfModelWriter.save(m, dir, DType.F32);
        }
        return dir;
    }

    static void rewriteWeights(Path dir, java.util.function.Consumer<Map<String, Tensor>> edit) {
        Map<String, Tensor> w;
        try (SafetensorsSource src = SafetensorsSource.open(dir)) {
            w = new LinkedHashMap<>(src.loadAll());
        }
        edit.accept(w);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
    }

    static void assertOneLine(Throwable e) {
        assertThat(e.getMessage()).doesNotContain("\n");
    }

    @Test
    void missingDirectory(@TempDir Path tmp) {
        Path dir = tmp.resolve("no-such-model");
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(1), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("does not exist")
                .satisfies(HfModelLoaderBadInputTest::assertOneLine);
    }

    @Test
    void missingConfig(@TempDir Path dir) throws IOException {
        Files.copy(FIXTURE.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(1), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.resolve("config.json").toString()).hasMessageContaining("not found");
    }

    @Test
    void unknownModelType(@TempDir Path dir) throws IOException {
        copyFixture(dir);
        editConfig(dir, c -> c.put("model_type", "bert"));
        assertThatThrownBy(() -> HfModelLoader.readConfig(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("config.json").hasMessageContaining("'bert'").hasMessageContaining("gpt2")
                .satisfies(HfModelLoaderBadInputTest::assertOneLine);
    }

    @Test
    void missingRequiredField(@TempDir Path dir) throws IOException {
        copyFixture(dir);
        editConfig(dir, c -> c.remove("n_embd"));
        assertThatThrownBy(() -> HfModelLoader.readConfig(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("config.json").hasMessageContaining("missing required field n_embd");
    }

    @Test
    void fieldOfWrongType(@TempDir Path dir) throws IOException {
        copyFixture(dir);
        editConfig(dir, c -> c.put("n_layer", "one"));
        assertThatThrownBy(() -> HfModelLoader.readConfig(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("n_layer must be an integer, got \"one\"");
    }

    @Test
    void invalidJson(@TempDir Path dir) throws IOException {
        copyFixture(dir);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\",");
        assertThatThrownBy(() -> HfModelLoader.readConfig(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("config.json").hasMessageContaining("not valid JSON")
                .satisfies(HfModelLoaderBadInputTest::assertOneLine);
    }

    @Test
    void inconsistentConfigNamesTheFile(@TempDir Path dir) throws IOException {
        copyFixture(dir);
        editConfig(dir, c -> c.put("n_head", 3)); // n_embd 2 is not divisible by 3
        assertThatThrownBy(() -> HfModelLoader.readConfig(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("config.json").hasMessageContaining("divisible");
    }

    @Test
    void gpt2ShapesDisagreeWithConfig(@TempDir Path dir) throws IOException {
        copyFixture(dir);
        editConfig(dir, c -> c.put("n_embd", 4));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(1), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("has shape [")
                .hasMessageContaining("config.json implies [")
                .satisfies(HfModelLoaderBadInputTest::assertOneLine);
    }

    @Test
    void llamaHiddenSizeDisagreesWithWeights(@TempDir Path dir) throws IOException {
        savedTinyLlama(dir);
        editConfig(dir, c -> c.put("hidden_size", 32));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("model.embed_tokens.weight")
                .hasMessageContaining("[64, 16]").hasMessageContaining("implies [64, 32]");
    }

    @Test
    void nanWeight(@TempDir Path dir) throws IOException {
        savedTinyLlama(dir);
        rewriteWeights(dir, w -> {
            float[] v = Tensors.toFloats(w.get("model.layers.1.mlp.up_proj.weight"));
            v[17] = Float.NaN;
            w.put("model.layers.1.mlp.up_proj.weight", Tensors.fromFloats(v, 24, 16));
        });
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("model.layers.1.mlp.up_proj.weight")
                .hasMessageContaining("NaN");
        // a device that does not hold layer 1 never reads it, so it loads fine
        try (DecoderModel device = HfModelLoader.load(dir, LayerRange.deviceSegment(1), DType.F32)) {
            assertThat(device.weights()).doesNotContainKey("model.layers.1.mlp.up_proj.weight");
        }
    }

    @Test
    void truncatedSafetensors(@TempDir Path dir) throws IOException {
        Files.copy(FIXTURE.resolve("config.json"), dir.resolve("config.json"));
        byte[] all = Files.readAllBytes(FIXTURE.resolve("model.safetensors"));
        Files.write(dir.resolve("model.safetensors"), Arrays.copyOf(all, all.length - 100));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(1), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.resolve("model.safetensors").toString())
                .satisfies(HfModelLoaderBadInputTest::assertOneLine);
    }

    @Test
    void noWeightsAtAll(@TempDir Path dir) throws IOException {
        Files.copy(FIXTURE.resolve("config.json"), dir.resolve("config.json"));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(1), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("model.safetensors");
    }

    @Test
    void untiedLlamaWithoutLmHead(@TempDir Path dir) throws IOException {
        savedTinyLlama(dir);
        rewriteWeights(dir, w -> w.remove("lm_head.weight"));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("tie_word_embeddings is false").hasMessageContaining("lm_head.weight")
                .hasMessageContaining(dir.toString());
    }

    @Test
    void missingLayerTensorIsNamed(@TempDir Path dir) throws IOException {
        savedTinyLlama(dir);
        rewriteWeights(dir, w -> w.remove("model.layers.2.self_attn.v_proj.weight"));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("'model.layers.2.self_attn.v_proj.weight' is missing");
    }

    /** An o_proj bias (Llama attention_bias) is a different model: refused, not silently dropped. */
    @Test
    void unsupportedExtraTensorIsRefused(@TempDir Path dir) throws IOException {
        savedTinyLlama(dir);
        rewriteWeights(dir, w -> w.put("model.layers.0.self_attn.o_proj.bias", Tensors.fromFloats(new float[16], 16)));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("model.layers.0.self_attn.o_proj.bias").hasMessageContaining("not part of");
    }

    @Test
    void rotaryBufferIsIgnored(@TempDir Path dir) throws IOException {
        savedTinyLlama(dir);
        rewriteWeights(dir, w -> w.put("model.layers.0.self_attn.rotary_emb.inv_freq", Tensors.fromFloats(new float[2], 2)));
        try (DecoderModel m = HfModelLoader.load(dir, LayerRange.all(3), DType.F32)) {
            assertThat(m.weights()).doesNotContainKey("model.layers.0.self_attn.rotary_emb.inv_freq");
        }
    }

    @Test
    void rangeBeyondTheModel(@TempDir Path dir) throws IOException {
        copyFixture(dir);
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.deviceSegment(2), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("exceeds the 1 layers");
    }
}
