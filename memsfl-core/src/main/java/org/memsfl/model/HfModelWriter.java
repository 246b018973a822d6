package org.memsfl.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;
import org.memsfl.engine.SafetensorsSource;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.util.AtomicFiles;

/**
 * Writes a whole {@link DecoderModel} as a Hugging Face directory that {@link HfModelLoader} (and transformers) can
 * read: {@code config.json} in the field names of {@code LlamaConfig}/{@code Qwen2Config}/{@code GPT2Config} and one
 * {@code model.safetensors}. GPT-2's Conv1D weights are transposed back to their stored (in, out) layout. A llama
 * config with q/k/v bias is written as {@code qwen2}: Llama's {@code attention_bias} would also put a bias on
 * {@code o_proj}, which the model does not have. The tokenizer is not written.
 */
public final class HfModelWriter {

    private HfModelWriter() {
    }

    /**
     * Writes {@code model} to {@code dir} (created if needed; existing config.json and model.safetensors replaced
     * atomically), each tensor converted to {@code storeAs}.
     *
     * @throws IllegalArgumentException when the model holds only part of its layers, or storeAs is not a float type
     */
    public static void save(DecoderModel model, Path dir, DType storeAs) {
        ModelConfig c = model.config();
        if (!model.range().equals(LayerRange.all(c.nLayers()))) {
            throw new IllegalArgumentException("only a whole model can be saved, this part holds " + model.range());
        }
        if (storeAs != DType.F32 && storeAs != DType.F16 && storeAs != DType.BF16 && storeAs != DType.F64) {
            throw new IllegalArgumentException("weights are stored as a float type, got " + storeAs);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : model.weights().entrySet()) {
                Tensor t = e.getValue();
                if (HfModelLoader.isGpt2Conv1D(c, e.getKey())) {
                    t = t.t();
                }
                // always a fresh tensor, so closing them all below never touches the model's own weights
                out.put(e.getKey(), t.to(storeAs.scalarType()).contiguous().clone());
            }
            // transformers refuses safetensors files whose metadata lacks the framework tag
            SafetensorsWriter.write(dir.resolve(SafetensorsSource.SINGLE_FILE), out, Map.of("format", "pt"));
        } finally {
            out.values().forEach(Tensor::close);
        }
        AtomicFiles.writeString(dir.resolve(HfConfigParser.CONFIG_FILE), configJson(c, storeAs));
    }

    /** Writes a llama-family config in the field names of its transformers config class. */
    private static void llama(ObjectNode o, ModelConfig c) {
        ModelVariant v = c.variant();
        ModelVariant.Style style = v.style();
        String type = switch (style) {
            case QWEN3 -> "qwen3";
            case GEMMA2 -> "gemma2";
            case GEMMA3 -> "gemma3_text";
            case PHI3 -> "phi3";
            default -> c.qkvBias() ? "qwen2" : v.slidingWindow() > 0 ? "mistral" : "llama";
        };
        o.putArray("architectures").add(switch (type) {
            case "qwen2" -> "Qwen2ForCausalLM";
            case "qwen3" -> "Qwen3ForCausalLM";
            case "gemma2" -> "Gemma2ForCausalLM";
            case "gemma3_text" -> "Gemma3ForCausalLM";
            case "phi3" -> "Phi3ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            default -> "LlamaForCausalLM";
        });
        o.put("model_type", type);
        o.put("vocab_size", c.vocabSize());
        o.put("hidden_size", c.dim());
        o.put("intermediate_size", c.hiddenDim());
        o.put("num_hidden_layers", c.nLayers());
        o.put("num_attention_heads", c.nHeads());
        o.put("num_key_value_heads", c.nKvHeads());
        o.put("head_dim", c.headDim());
        o.put("max_position_embeddings", c.maxSeqLen());
        o.put("rms_norm_eps", c.normEps());
        o.put("rope_theta", c.ropeTheta());
        o.put("tie_word_embeddings", c.tiedEmbeddings());
        if (style.gemma()) {
            o.put("hidden_activation", "gelu_pytorch_tanh");
            o.put("query_pre_attn_scalar", v.queryPreAttnScalar());
            putCap(o, "attn_logit_softcapping", v.attnSoftcap());
            putCap(o, "final_logit_softcapping", v.finalSoftcap());
            if (style == ModelVariant.Style.GEMMA3) {
                o.put("rope_local_base_freq", v.localRopeTheta());
            }
        } else {
            o.put("hidden_act", "silu");
        }
        if (!c.qkvBias() && !type.equals("qwen2")) {
            o.put("attention_bias", false);
        }
        if (v.slidingWindow() > 0) {
            o.put("sliding_window", v.slidingWindow());
            if (!v.slidingLayers().isEmpty()) {
                var types = o.putArray("layer_types");
                v.slidingLayers().forEach(b -> types.add(b ? "sliding_attention" : "full_attention"));
            }
        } else if (!type.equals("qwen2") && !type.equals("qwen3")) {
            o.putNull("sliding_window");
        }
        RopeScaling r = v.rope();
        if (r.equals(RopeScaling.NONE)) {
            o.putNull("rope_scaling");
            return;
        }
        ObjectNode rs = o.putObject("rope_scaling");
        rs.put("rope_type", r.type());
        switch (r.type()) {
            case "llama3" -> {
                rs.put("factor", r.factor());
                rs.put("low_freq_factor", r.lowFreqFactor());
                rs.put("high_freq_factor", r.highFreqFactor());
                rs.put("original_max_position_embeddings", r.originalMaxPos());
            }
            case "yarn" -> {
                rs.put("factor", r.factor());
                rs.put("original_max_position_embeddings", r.originalMaxPos());
                rs.put("beta_fast", r.betaFast());
                rs.put("beta_slow", r.betaSlow());
                rs.put("attention_factor", r.attentionFactor());
                rs.put("truncate", r.truncate());
            }
            case "longrope" -> {
                rs.put("factor", r.factor());
                rs.put("original_max_position_embeddings", r.originalMaxPos());
                rs.put("attention_factor", r.attentionFactor());
                r.shortFactor().forEach(rs.putArray("short_factor")::add);
                r.longFactor().forEach(rs.putArray("long_factor")::add);
            }
            default -> rs.put("factor", r.factor());
        }
    }

    private static void putCap(ObjectNode o, String field, double cap) {
        if (cap > 0) {
            o.put(field, cap);
        } else {
            o.putNull(field);
        }
    }

    /** The config.json text for {@code c}; {@link HfConfigParser} reads it back to an equal config. */
    static String configJson(ModelConfig c, DType storeAs) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode();
        if (c.family() == ModelFamily.GPT2) {
            if (c.nKvHeads() != c.nHeads() || !c.tiedEmbeddings()) {
                throw new IllegalArgumentException("gpt2 has neither grouped-query attention nor an untied head: " + c);
            }
            o.putArray("architectures").add("GPT2LMHeadModel");
            o.put("model_type", "gpt2");
            o.put("vocab_size", c.vocabSize());
            o.put("n_embd", c.dim());
            o.put("n_layer", c.nLayers());
            o.put("n_head", c.nHeads());
            o.put("n_inner", c.hiddenDim());
            o.put("n_positions", c.maxSeqLen());
            o.put("n_ctx", c.maxSeqLen());
            o.put("layer_norm_epsilon", c.normEps());
            o.put("activation_function", "gelu_new");
            o.put("tie_word_embeddings", true);
            // written even when 0: GPT2Config's defaults are 0.1
            o.put("embd_pdrop", c.dropout().embedding());
            o.put("attn_pdrop", c.dropout().attention());
            o.put("resid_pdrop", c.dropout().residual());
        } else {
            llama(o, c);
            o.put("attention_dropout", c.dropout().attention());
            if (c.variant().style() == ModelVariant.Style.PHI3) {
                o.put("resid_pdrop", c.dropout().residual());
                o.put("embd_pdrop", 0.0);
            } else if (c.dropout().residual() != 0 || c.dropout().embedding() != 0) {
                throw new IllegalArgumentException("only gpt2 and phi3 configs carry residual or embedding dropout: " + c);
            }
        }
        o.put("torch_dtype", switch (storeAs) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            case F64 -> "float64";
            default -> "float32";
        });
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise config.json", e);
        }
    }
}
