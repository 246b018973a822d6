package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.memsfl.util.BadInputException;

/** config.json field mapping and defaults of {@link HfConfigParser}, per architecture. */
class HfModelLoaderConfigTest {

    static ModelConfig parse(String json) throws Exception {
        return HfConfigParser.parse(new ObjectMapper().readTree(json), "x/config.json");
    }

    /** Qwen2.5-0.5B's config.json, abridged to the fields that matter (and one that does not). */
    @Test
    void qwen2HasQkvBiasAndItsOwnTying() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896,
                 "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
                 "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 32768,
                 "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "tie_word_embeddings": true,
                 "sliding_window": 32768, "use_sliding_window": false, "hidden_act": "silu"}""");
        assertThat(c).isEqualTo(new ModelConfig(ModelFamily.LLAMA, 151936, 896, 24, 14, 2, 4864, 32768, 1e-6, 1e6, true,
                true));
    }

    @Test
    void llamaDefaults() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 5,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512}""");
        // kv heads = heads, eps 1e-6, theta 10000, untied, no bias: LlamaConfig's defaults
        assertThat(c).isEqualTo(new ModelConfig(ModelFamily.LLAMA, 512, 64, 5, 8, 8, 172, 512, 1e-6, 10000.0, false,
                false));
    }

    @Test
    void llamaAttentionBiasMeansQkvBias() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512, "attention_bias": true}""");
        assertThat(c.qkvBias()).isTrue();
    }

    /** Sliding-window attention equals full attention within the window; longer inputs are refused by the cap. */
    @Test
    void mistralSlidingWindowCapsTheLength() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "mistral", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 512,
                 "max_position_embeddings": 32768, "sliding_window": 4096}""");
        assertThat(c.maxSeqLen()).isEqualTo(4096);
        assertThat(c.nKvHeads()).isEqualTo(2);
    }

    @Test
    void gpt2NullInnerIsFourTimesEmbedding() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": null,
                 "vocab_size": 50257, "n_positions": 1024, "layer_norm_epsilon": 1e-05}""");
        assertThat(c).isEqualTo(ModelPresets.get("gpt2"));
    }

    @Test
    void ropeScalingIsRefused() {
        assertThatThrownBy(() -> parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512,
                 "rope_scaling": {"rope_type": "llama3", "factor": 32.0}}"""))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("x/config.json").hasMessageContaining("rope_scaling");
    }

    @Test
    void qwen3IsRefused() {
        assertThatThrownBy(() -> parse("""
                {"model_type": "qwen3", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512}"""))
                .isInstanceOf(BadInputException.class).hasMessageContaining("unknown architecture model_type 'qwen3'");
    }

    @Test
    void exactGeluIsRefused() {
        assertThatThrownBy(() -> parse("""
                {"model_type": "gpt2", "n_embd": 8, "n_layer": 1, "n_head": 2, "vocab_size": 10, "n_positions": 16,
                 "activation_function": "gelu"}"""))
                .isInstanceOf(BadInputException.class).hasMessageContaining("activation_function 'gelu'");
    }

    @Test
    void missingModelType() {
        assertThatThrownBy(() -> parse("{\"n_embd\": 8}"))
                .isInstanceOf(BadInputException.class).hasMessage("x/config.json: missing required field model_type");
    }

    @Test
    void writerOutputParsesBackForEveryPreset() throws Exception {
        for (String name : ModelPresets.names()) {
            ModelConfig c = ModelPresets.get(name);
            for (org.memsfl.engine.DType d : new org.memsfl.engine.DType[] {org.memsfl.engine.DType.F32,
                    org.memsfl.engine.DType.BF16}) {
                assertThat(parse(HfModelWriter.configJson(c, d))).as(name).isEqualTo(c);
            }
        }
    }
}
