package org.memsfl.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.util.BadInputException;

/** LoRA targets under the checkpoint's own module names, and Phi-3's fused modules. */
class LoraModulesResolveTest {

    private static final ModelConfig PHI3 = ModelPresets.get("phi-3.5-mini");
    private static final ModelConfig QWEN3 = ModelPresets.get("qwen3-0.6b");

    @Test
    void checkpointNamesMapToModules() {
        assertThat(LoraModules.resolve(QWEN3, List.of("q_proj", "v_proj", "embed_tokens"))).containsExactly("q", "v", "embed");
        assertThat(LoraModules.resolve(PHI3, List.of("qkv_proj", "gate_up_proj"))).containsExactly("qkv", "gate_up");
    }

    /** The CLI default q,k,v,o on Phi-3 is PEFT's qkv_proj, o_proj. */
    @Test
    void fullSetsNameTheFusedModules() {
        assertThat(LoraModules.resolve(PHI3, List.of("q", "k", "v", "o"))).containsExactly("qkv", "o");
        assertThat(LoraModules.resolve(PHI3, List.of("gate", "up", "down"))).containsExactly("gate_up", "down");
    }

    @Test
    void partOfAFusedSetIsRefused() {
        assertThatThrownBy(() -> new LoraConfig(8, 16, 0, List.of("q", "v")).forModel(PHI3))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("fuses q, k, v into qkv_proj").hasMessageContaining("[q, v]");
    }

    /** Shapes follow head_dim, not hidden: Qwen3-0.6B's q_proj maps 1024 to 2048, o_proj 2048 to 1024. */
    @Test
    void shapesFollowHeadDim() {
        assertThat(LoraModules.shape(QWEN3, "q")).containsExactly(1024, 2048);
        assertThat(LoraModules.shape(QWEN3, "o")).containsExactly(2048, 1024);
        assertThat(LoraModules.shape(PHI3, "qkv")).containsExactly(3072, 9216);
        assertThat(LoraModules.shape(PHI3, "gate_up")).containsExactly(3072, 16384);
    }

    /**
     * The one resolution every command uses ({@link LoraConfig#forModel}): PEFT's checkpoint names and memsfl's short
     * names land on the same modules, fused on Phi-3 and unfused on Qwen3; a fused name is refused on an unfused model.
     */
    @Test
    void checkpointNamesResolveForEveryCommand() {
        LoraConfig peft = new LoraConfig(8, 16, 0, List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj"));
        assertThat(peft.forModel(PHI3).targets()).containsExactly("qkv", "o", "gate_up", "down");
        assertThat(new LoraConfig(8, 16, 0, List.of("q_proj", "k_proj", "v_proj")).forModel(PHI3).targets())
                .containsExactly("qkv");
        assertThat(new LoraConfig(8, 16, 0, List.of("q_proj", "gate_proj", "up_proj")).forModel(QWEN3).targets())
                .containsExactly("q", "gate", "up");
        assertThatThrownBy(() -> peft.forModel(QWEN3)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("qkv");
        assertThatThrownBy(() -> new LoraConfig(8, 16, 0, List.of("q_proj", "v_proj")).forModel(PHI3))
                .isInstanceOf(BadInputException.class).hasMessageContaining("qkv_proj");
    }

    /** A plan at another shape sizes the same modules: Phi-3's fused names as their parts, llama names on gpt2. */
    @Test
    void plansAtAnotherShapeSizeTheSameModules() {
        LoraConfig peft = new LoraConfig(8, 16, 0, List.of("qkv_proj", "o_proj"));
        assertThat(peft.forPlan(PHI3, PHI3).targets()).containsExactly("qkv", "o");
        assertThat(peft.forPlan(PHI3, QWEN3).targets()).containsExactly("q", "k", "v", "o");
        assertThat(peft.forPlan(PHI3, ModelPresets.get("gpt2-medium")).targets()).containsExactly("q", "k", "v", "c_proj");
        assertThatThrownBy(() -> peft.forPlan(QWEN3, PHI3)).isInstanceOf(BadInputException.class);
    }

    @Test
    void unknownModuleNamesTheModelsModules() {
        assertThatThrownBy(() -> LoraModules.resolve(PHI3, List.of("c_fc")))
                .hasMessageContaining("unknown LoRA target module 'c_fc'").hasMessageContaining("[qkv, o, gate_up, down]");
    }
}
