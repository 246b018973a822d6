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
        } else {
            String type = c.qkvBias() ? "qwen2" : "llama";
            o.putArray("architectures").add(c.qkvBias() ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
            o.put("model_type", type);
            o.put("vocab_size", c.vocabSize());
            o.put("hidden_size", c.dim());
            o.put("intermediate_size", c.hiddenDim());
            o.put("num_hidden_layers", c.nLayers());
            o.put("num_attention_heads", c.nHeads());
            o.put("num_key_value_heads", c.nKvHeads());
            o.put("max_position_embeddings", c.maxSeqLen());
            o.put("rms_norm_eps", c.normEps());
            o.put("rope_theta", c.ropeTheta());
            o.put("tie_word_embeddings", c.tiedEmbeddings());
            o.put("hidden_act", "silu");
            if (!c.qkvBias()) {
                o.put("attention_bias", false);
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
