package org.memsfl.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;

/**
 * Every command resolves --lora-targets through {@link LoraConfig#forModel}: the same names are accepted everywhere
 * and nothing crosses families silently (simulate used to train llama's up for c_fc).
 */
class LoraTargetsTest {

    private static final ModelConfig GPT2 = ModelPresets.get("tiny-gpt2");
    private static final ModelConfig LLAMA = ModelPresets.get("stories260K");

    static LoraConfig targets(String... t) {
        return new LoraConfig(8, 16, 0, List.of(t));
    }

    @Test
    void llamaNamesNameTheSameModulesOfBothFamilies() {
        assertThat(targets("q", "k", "v", "o", "up", "down").forModel(GPT2).targets())
                .containsExactly("q", "k", "v", "c_proj", "c_fc", "mlp_c_proj");
        assertThat(targets("q", "v", "o", "gate", "up", "down", "embed").forModel(LLAMA).targets())
                .containsExactly("q", "v", "o", "gate", "up", "down", "embed");
        assertThat(targets("c_fc", "mlp_c_proj").forModel(GPT2).targets())
                .containsExactly("c_fc", "mlp_c_proj");
    }

    @Test
    void gpt2NamesOnALlamaModelAreRefusedNotRemapped() {
        assertThatThrownBy(() -> targets("q", "c_fc").forModel(LLAMA))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'c_fc'").hasMessageContaining("llama-family").hasMessageContaining("up");
        assertThatThrownBy(() -> targets("gate").forModel(GPT2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'gate'");
        assertThatThrownBy(() -> targets("o", "c_proj").forModel(GPT2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("c_proj twice");
        assertThatThrownBy(() -> targets("qq").forModel(LLAMA))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'qq'");
    }
}
