package org.memsfl.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.memsfl.util.BadInputException;

/**
 * Reads a Hugging Face {@code config.json} into a {@link ModelConfig}. Field names and defaults follow the
 * transformers configuration classes: {@code LlamaConfig}, {@code MistralConfig}, {@code Qwen2Config} (hidden_size,
 * intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads, vocab_size,
 * max_position_embeddings, rms_norm_eps, rope_theta, tie_word_embeddings, attention_bias) and {@code GPT2Config}
 * (n_embd, n_layer, n_head, n_inner, vocab_size, n_positions, layer_norm_epsilon).
 *
 * <p>Shape fields are required: {@code save_pretrained} always writes them, so their absence means a damaged or
 * foreign file, and guessing a shape would only fail later with a less useful message. Numeric fields whose class
 * default is well defined (epsilons, rope_theta, num_key_value_heads, tying) fall back to that default. Settings
 * that change the maths in ways memsfl does not implement (RoPE scaling, a per-head size that is not
 * hidden/heads, non-tanh GELU, ...) are refused rather than silently computed differently.
 */
public final class HfConfigParser {

    /** File name of the config inside a model directory. */
    public static final String CONFIG_FILE = "config.json";

    private HfConfigParser() {
    }

    /** Parses {@code dir/config.json}. */
    public static ModelConfig read(Path dir) {
        Path file = dir.resolve(CONFIG_FILE);
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": not found; a Hugging Face model directory needs " + CONFIG_FILE);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": not valid JSON: "
                    + e.getOriginalMessage().replaceAll("\\s+", " ").trim(), e);
        }
        return parse(root, file.toString());
    }

    /**
     * Parses an already-read config object; {@code where} names its origin in error messages.
     */
    public static ModelConfig parse(JsonNode root, String where) {
        if (root == null || !root.isObject()) {
            throw new BadInputException(where + ": expected a JSON object");
        }
        Fields f = new Fields(root, where);
        String modelType = f.requiredText("model_type");
        ModelFamily family = ModelFamily.fromHfModelType(modelType, where);
        try {
            return family == ModelFamily.GPT2 ? gpt2(f) : llama(f, modelType);
        } catch (IllegalArgumentException e) {
            // ModelConfig's own validation (divisibility, positivity) names the rule; add the file
            throw new BadInputException(where + ": inconsistent config: " + e.getMessage(), e);
        }
    }

    private static ModelConfig llama(Fields f, String modelType) {
        int dim = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        int kvHeads = f.optionalInt("num_key_value_heads", heads);
        if (f.has("head_dim") && heads > 0 && f.requiredInt("head_dim") * heads != dim) {
            // Qwen3/Gemma-style decoupled head size: projections are not (dim, dim), which LlamaModel assumes
            throw new BadInputException(f.where + ": head_dim " + f.requiredInt("head_dim") + " differs from hidden_size / "
                    + "num_attention_heads = " + dim + "/" + heads + "; only head_dim = hidden_size / heads is supported");
        }
        f.refuseNonNull("rope_scaling", "RoPE scaling is not implemented; positions would be rotated differently");
        String act = f.optionalText("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new BadInputException(f.where + ": hidden_act '" + act + "' is not supported; expected silu (SwiGLU)");
        }
        if (f.optionalBool("mlp_bias", false)) {
            throw new BadInputException(f.where + ": mlp_bias true is not supported; expected false");
        }
        // Qwen2 always has q/k/v bias and no attention_bias field; Llama's attention_bias adds them (and o_proj's,
        // which the loader refuses if the checkpoint actually holds one)
        boolean qkvBias = modelType.equals("qwen2") || f.optionalBool("attention_bias", false);
        int maxSeq = f.requiredInt("max_position_embeddings");
        Integer window = slidingWindow(f, modelType);
        if (window != null && window < maxSeq) {
            // sliding-window attention only differs from full causal attention beyond the window; capping the
            // length makes longer inputs fail loudly instead of being attended differently
            maxSeq = window;
        }
        return new ModelConfig(ModelFamily.LLAMA, f.requiredInt("vocab_size"), dim, f.requiredInt("num_hidden_layers"),
                heads, kvHeads, f.requiredInt("intermediate_size"), maxSeq,
                f.optionalDouble("rms_norm_eps", 1e-6), f.optionalDouble("rope_theta", 10000.0),
                // LlamaConfig, MistralConfig and Qwen2Config all default to an untied head
                f.optionalBool("tie_word_embeddings", false), qkvBias);
    }

    /** Mistral's {@code sliding_window}, or Qwen2's when {@code use_sliding_window} is on; null when full attention. */
    private static Integer slidingWindow(Fields f, String modelType) {
        boolean on = switch (modelType) {
            case "mistral" -> true;
            case "qwen2" -> f.optionalBool("use_sliding_window", false);
            default -> false;
        };
        return on && !f.isNullOrAbsent("sliding_window") ? f.requiredInt("sliding_window") : null;
    }

    private static ModelConfig gpt2(Fields f) {
        int dim = f.requiredInt("n_embd");
        int heads = f.requiredInt("n_head");
        String act = f.optionalText("activation_function", "gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new BadInputException(f.where + ": activation_function '" + act
                    + "' is not supported; expected gelu_new or gelu_pytorch_tanh (GELU, tanh approximation)");
        }
        if (!f.optionalBool("scale_attn_weights", true) || f.optionalBool("scale_attn_by_inverse_layer_idx", false)) {
            throw new BadInputException(f.where + ": only the standard 1/sqrt(head_dim) attention scaling is supported "
                    + "(scale_attn_weights true, scale_attn_by_inverse_layer_idx false)");
        }
        if (!f.optionalBool("tie_word_embeddings", true)) {
            throw new BadInputException(f.where + ": tie_word_embeddings false is not supported for gpt2; "
                    + "the LM head is the token embedding");
        }
        // GPT2Config: n_inner null means 4 * n_embd
        int inner = f.isNullOrAbsent("n_inner") ? 4 * dim : f.requiredInt("n_inner");
        return new ModelConfig(ModelFamily.GPT2, f.requiredInt("vocab_size"), dim, f.requiredInt("n_layer"), heads, heads,
                inner, f.requiredInt("n_positions"), f.optionalDouble("layer_norm_epsilon", 1e-5), 10000.0, true, true);
    }

    /** Typed access to config fields with one-line errors naming the file and the field. */
    private static final class Fields {
        private final JsonNode root;
        private final String where;

        Fields(JsonNode root, String where) {
            this.root = root;
            this.where = where;
        }

        boolean has(String name) {
            return root.has(name);
        }

        boolean isNullOrAbsent(String name) {
            return !root.has(name) || root.get(name).isNull();
        }

        String requiredText(String name) {
            JsonNode v = root.get(name);
            if (v == null || v.isNull()) {
                throw missing(name);
            }
            if (!v.isTextual()) {
                throw wrongType(name, v, "a string");
            }
            return v.textValue();
        }

        String optionalText(String name, String dflt) {
            return isNullOrAbsent(name) ? dflt : requiredText(name);
        }

        int requiredInt(String name) {
            JsonNode v = root.get(name);
            if (v == null || v.isNull()) {
                throw missing(name);
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw wrongType(name, v, "an integer");
            }
            return v.intValue();
        }

        int optionalInt(String name, int dflt) {
            return isNullOrAbsent(name) ? dflt : requiredInt(name);
        }

        double optionalDouble(String name, double dflt) {
            if (isNullOrAbsent(name)) {
                return dflt;
            }
            JsonNode v = root.get(name);
            if (!v.isNumber()) {
                throw wrongType(name, v, "a number");
            }
            return v.doubleValue();
        }

        boolean optionalBool(String name, boolean dflt) {
            if (isNullOrAbsent(name)) {
                return dflt;
            }
            JsonNode v = root.get(name);
            if (!v.isBoolean()) {
                throw wrongType(name, v, "true or false");
            }
            return v.booleanValue();
        }

        void refuseNonNull(String name, String why) {
            if (!isNullOrAbsent(name)) {
                throw new BadInputException(where + ": field " + name + " = " + root.get(name) + " is not supported ("
                        + why + "); expected null or absent");
            }
        }

        private BadInputException missing(String name) {
            return new BadInputException(where + ": missing required field " + name);
        }

        private BadInputException wrongType(String name, JsonNode v, String expected) {
            return new BadInputException(where + ": field " + name + " must be " + expected + ", got " + v);
        }
    }
}
