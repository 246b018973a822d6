package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
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

/**
 * Checkpoints of the new families that do not match their config: one line naming the file and the tensor or key,
 * before any weight is used.
 */
class FamilyBadInputTest {

    /** Rewrites model.safetensors of {@code dir} with {@code edit} applied to its tensors. */
    private static void editTensors(Path dir, java.util.function.Consumer<Map<String, Tensor>> edit) throws Exception {
        Map<String, Tensor> t = new LinkedHashMap<>();
        try (SafetensorsSource src = SafetensorsSource.open(dir)) {
            for (String n : src.names()) {
                t.put(n, src.load(n));
            }
        }
        edit.accept(t);
        Path file = dir.resolve("model.safetensors");
        Files.delete(file);
        SafetensorsWriter.write(file, t, Map.of("format", "pt"));
    }

    @Test
    void missingQkNormIsNamed(@TempDir Path dir) throws Exception {
        FamilyFixture.qwen3Yarn().write(dir, false, 1);
        editTensors(dir, t -> t.remove("model.layers.1.self_attn.q_norm.weight"));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("tensor 'model.layers.1.self_attn.q_norm.weight' is missing");
    }

    /** A fused qkv_proj in a type whose projections are separate (a Phi-3 export mislabelled as llama). */
    @Test
    void fusedTensorInAnUnfusedTypeIsRefused(@TempDir Path dir) throws Exception {
        FamilyFixture.phi3().write(dir, false, 1);
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"phi3\"", "\"llama\"");
        Files.writeString(dir.resolve("config.json"), cfg.replaceAll("\"original_max_position_embeddings\" : 64,", ""));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageMatching(".*tensor 'model\\.layers\\.0\\.(self_attn\\.qkv|mlp\\.gate_up)_proj\\.weight' is not part "
                        + "of memsfl's llama architecture.*");
    }

    /** Separate q/k/v in a phi3 directory: phi3 expects the fused qkv_proj, and says which tensor is extra. */
    @Test
    void unfusedTensorsInPhi3AreRefused(@TempDir Path dir) throws Exception {
        FamilyFixture.phi3().write(dir, false, 1);
        editTensors(dir, t -> t.put("model.layers.0.self_attn.q_proj.weight", Tensors.zeros(
                org.bytedeco.pytorch.global.torch.ScalarType.BFloat16, 32, 32)));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("tensor 'model.layers.0.self_attn.q_proj.weight' is not part of");
    }

    /** q_proj shaped as if head_dim were hidden/heads, in a Qwen3 config with head_dim 16: shape and config named. */
    @Test
    void projectionDisagreeingWithHeadDimIsNamed(@TempDir Path dir) throws Exception {
        FamilyFixture.qwen3Yarn().write(dir, false, 1);
        editTensors(dir, t -> t.put("model.layers.2.self_attn.q_proj.weight", Tensors.zeros(
                org.bytedeco.pytorch.global.torch.ScalarType.BFloat16, 32, 32)));
        assertThatThrownBy(() -> HfModelLoader.load(dir, LayerRange.all(3), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("tensor 'model.layers.2.self_attn.q_proj.weight' has shape [32, 32] but "
                        + "config.json implies [64, 32]");
    }

    @Test
    void longropeFactorsOfTheWrongLengthAreRefusedAtParse(@TempDir Path dir) throws Exception {
        FamilyFixture.phi3().write(dir, false, 1);
        String cfg = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), cfg.replaceFirst("\"long_factor\" : \\[ ", "\"long_factor\" : [ 1.0, ")
                .replaceFirst("\"short_factor\" : \\[ ", "\"short_factor\" : [ 1.0, "));
        assertThatThrownBy(() -> HfModelLoader.readConfig(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("config.json").hasMessageContaining("9 entries");
    }

    @Test
    void gemmaExactGeluIsRefusedNamingTheKey(@TempDir Path dir) throws Exception {
        FamilyFixture.gemma2().write(dir, false, 1);
        String cfg = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), cfg.replace("\"hidden_activation\" : \"gelu_pytorch_tanh\"",
                "\"hidden_activation\" : \"gelu\""));
        assertThatThrownBy(() -> HfModelLoader.readConfig(dir))
                .isInstanceOf(BadInputException.class).hasMessageContaining("hidden_activation 'gelu'");
    }

    @Test
    void unknownRopeParameterIsRefusedNamingKeyAndValue(@TempDir Path dir) throws Exception {
        FamilyFixture.llama3().write(dir, true, 1);
        String cfg = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), cfg.replace("\"rope_theta\" : 500000.0",
                "\"rope_theta\" : 500000.0, \"ntk_alpha\" : 2.0"));
        assertThatThrownBy(() -> HfModelLoader.readConfig(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("rope_parameters.ntk_alpha = 2.0 is not supported");
    }
}
