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

    /** Mistral-7B-v0.1: the context is max_position_embeddings (32768), the window (4096) only masks, on every layer. */
    @Test
    void mistralContextIsMaxPositionsNotTheWindow() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "mistral", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 2,
                 "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 512,
                 "max_position_embeddings": 32768, "sliding_window": 4096}""");
        assertThat(c.maxSeqLen()).isEqualTo(32768);
        assertThat(c.variant().slidingWindow()).isEqualTo(4096);
        assertThat(c.variant().sliding(0)).isTrue();
        assertThat(c.variant().sliding(1)).isTrue();
        assertThat(c.nKvHeads()).isEqualTo(2);
    }

    @Test
    void gpt2NullInnerIsFourTimesEmbedding() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": null,
                 "vocab_size": 50257, "n_positions": 1024, "layer_norm_epsilon": 1e-05}""");
        // GPT2Config's dropout defaults (0.1 each) apply where the keys are absent; the preset carries none
        assertThat(c).isEqualTo(ModelPresets.get("gpt2").withDropout(new ModelDropout(0.1, 0.1, 0.1)));
    }

    @Test
    void incompleteLlama3RopeScalingIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512,
                 "rope_scaling": {"rope_type": "llama3", "factor": 32.0}}"""))
                .isInstanceOf(BadInputException.class)
                .hasMessage("x/config.json: missing required field rope_scaling.low_freq_factor");
    }

    @Test
    void dynamicRopeIsRefusedNamingKeyAndValue() {
        assertThatThrownBy(() -> parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512,
                 "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}"""))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("x/config.json: rope_scaling.rope_type = \"dynamic\" is not supported");
    }

    /** Qwen3-0.6B's shape: head_dim 128 with hidden 1024 and 16 heads (q_proj is 2048 wide), per-head q/k norms. */
    @Test
    void qwen3HeadDimIsIndependentOfHiddenOverHeads() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 1024,
                 "intermediate_size": 3072, "num_hidden_layers": 28, "num_attention_heads": 16,
                 "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936, "max_position_embeddings": 40960,
                 "rms_norm_eps": 1e-06, "rope_theta": 1000000, "rope_scaling": null, "tie_word_embeddings": true,
                 "attention_bias": false, "use_sliding_window": false, "sliding_window": null,
                 "max_window_layers": 28, "hidden_act": "silu", "torch_dtype": "bfloat16"}""");
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.qDim()).isEqualTo(2048);
        assertThat(c.kvDim()).isEqualTo(1024);
        assertThat(c.variant().style()).isEqualTo(ModelVariant.Style.QWEN3);
        assertThat(c.maxSeqLen()).isEqualTo(40960);
        assertThat(c.variant().slidingWindow()).isZero();
    }

    /** {@code "head_dim": null} (Llama-3.2's transformers-5 config) means hidden / heads, like an absent field. */
    @Test
    void nullHeadDimMeansAbsent() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512, "head_dim": null}""");
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c).isEqualTo(new ModelConfig(ModelFamily.LLAMA, 512, 64, 1, 8, 8, 172, 512, 1e-6, 10000.0, false,
                false));
    }

    /**
     * transformers 5 writes rope_parameters instead of rope_theta/rope_scaling (and dtype for torch_dtype); today's
     * parse must give the same config as the transformers-4 form, never the default theta 10000.
     */
    @Test
    void ropeParametersEqualsRopeThetaAndScaling() throws Exception {
        String shape = """
                "model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512,
                 "max_position_embeddings": 131072, "head_dim": null,""";
        ModelConfig v4 = parse("{" + shape + """
                 "rope_theta": 500000.0, "torch_dtype": "bfloat16", "rope_scaling": {"rope_type": "llama3",
                 "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                 "original_max_position_embeddings": 8192}}""");
        ModelConfig v5 = parse("{" + shape + """
                 "dtype": "bfloat16", "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0,
                 "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                 "original_max_position_embeddings": 8192}}""");
        assertThat(v5).isEqualTo(v4);
        assertThat(v5.ropeTheta()).isEqualTo(500000.0);
        assertThat(v5.variant().rope().type()).isEqualTo("llama3");
    }

    @Test
    void conflictingRopeThetaIsRefused() {
        assertThatThrownBy(() -> parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512, "rope_theta": 10000.0,
                 "rope_parameters": {"rope_type": "default", "rope_theta": 500000.0}}"""))
                .isInstanceOf(BadInputException.class).hasMessageContaining("rope_theta");
    }

    @Test
    void partialRotaryFactorIsRefused() {
        assertThatThrownBy(() -> parse("""
                {"model_type": "phi3", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512,
                 "partial_rotary_factor": 0.5}"""))
                .isInstanceOf(BadInputException.class).hasMessageContaining("partial_rotary_factor = 0.5");
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

    /**
     * Gemma-2's soft-caps: absent means Gemma2Config's defaults (attention 50, final 30); an explicit null means no
     * capping, as transformers reads it ({@code if config.final_logit_softcapping is not None}, and attention's
     * {@code softcap=None}). The writer writes a disabled cap as null, so it must read back as none.
     */
    @Test
    void gemma2NullSoftcapsMeanNoCapping() throws Exception {
        String shape = """
                {"model_type": "gemma2", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 64,
                 "max_position_embeddings": 512, "query_pre_attn_scalar": 16, "sliding_window": 8%s}""";
        ModelConfig absent = parse(shape.formatted(""));
        assertThat(absent.variant().attnSoftcap()).isEqualTo(50.0);
        assertThat(absent.variant().finalSoftcap()).isEqualTo(30.0);
        ModelConfig nulls = parse(shape.formatted(", \"attn_logit_softcapping\": null, \"final_logit_softcapping\": null"));
        assertThat(nulls.variant().attnSoftcap()).isZero();
        assertThat(nulls.variant().finalSoftcap()).isZero();
        assertThat(parse(HfModelWriter.configJson(nulls, org.memsfl.engine.DType.F32))).isEqualTo(nulls);
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
