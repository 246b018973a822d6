package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.memsfl.util.BadInputException;

/**
 * YaRN's factor beside {@code original_max_position_embeddings}: transformers 4.x (since DeepSeek-V3 support) replaces
 * the factor by max_position_embeddings / original, transformers 5 keeps the explicit one. A config where the two
 * disagree is computed as transformers 5 does when transformers 5 saved it, and refused when 4.x did.
 */
class YarnFactorTest {

    static ModelConfig parse(int maxPos, String rope, String version) throws Exception {
        String json = """
                {"model_type": "qwen3", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 8, "vocab_size": 512,
                 "max_position_embeddings": %d, "rope_theta": 1000000.0, %s%s}"""
                .formatted(maxPos, rope, version == null ? "" : ", \"transformers_version\": \"" + version + "\"");
        return HfConfigParser.parse(new ObjectMapper().readTree(json), "q/config.json");
    }

    static final String QWEN3_RECIPE = """
            "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}""";

    /** Qwen3's long-context recipe on its 40960-position config, saved by transformers 4.51: the versions disagree. */
    @Test
    void factorThatDisagreesWithTheContextsIsRefusedFor4x() {
        assertThatThrownBy(() -> parse(40960, QWEN3_RECIPE, "4.51.0")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("q/config.json").hasMessageContaining("factor 4.0")
                .hasMessageContaining("40960 / 32768 = 1.25").hasMessageContaining("4.51.0")
                .hasMessageContaining("131072");
        assertThatThrownBy(() -> parse(40960, QWEN3_RECIPE, null)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("absent");
    }

    @Test
    void transformers5KeepsTheExplicitFactor() throws Exception {
        RopeScaling r = parse(40960, QWEN3_RECIPE, "5.0.0").variant().rope();
        assertThat(r.factor()).isEqualTo(4.0);
        assertThat(r.originalMaxPos()).isEqualTo(32768);
        assertThat(r.attentionFactor()).isEqualTo(0.1 * Math.log(4.0) + 1.0);
        String v5 = """
                "rope_parameters": {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0,
                 "original_max_position_embeddings": 32768}""";
        assertThat(parse(40960, v5, null).variant().rope()).isEqualTo(r);
    }

    /** Where max_position_embeddings = factor x original, or no original is given, every version computes the same. */
    @Test
    void consistentConfigsLoadWhateverTheVersion() throws Exception {
        RopeScaling r = parse(131072, QWEN3_RECIPE, "4.51.0").variant().rope();
        assertThat(r.factor()).isEqualTo(4.0);
        assertThat(r.originalMaxPos()).isEqualTo(32768);
        RopeScaling noOriginal = parse(40960, "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}", "4.45.0")
                .variant().rope();
        assertThat(noOriginal.originalMaxPos()).isEqualTo(40960);
        assertThat(LlamaConfigParser.majorVersion("5.0.0.dev0")).isEqualTo(5);
        assertThat(LlamaConfigParser.majorVersion("x")).isEqualTo(-1);
    }
}
