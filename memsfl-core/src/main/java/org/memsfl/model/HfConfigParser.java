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
 * hidden/heads, non-tanh GELU, cross-attention, ...) are refused rather than silently computed differently. Dropout
 * probabilities ({@code embd_pdrop}, {@code attn_pdrop}, {@code resid_pdrop}, {@code attention_dropout}) are honoured in
 * training passes ({@link ModelDropout}).
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
        ConfigFields f = new ConfigFields(root, where);
        String modelType = f.requiredText("model_type");
        ModelFamily family = ModelFamily.fromHfModelType(modelType, where);
        try {
            return family == ModelFamily.GPT2 ? gpt2(f) : LlamaConfigParser.parse(f, modelType);
        } catch (BadInputException e) {
            throw e; // already names the file and key
        } catch (IllegalArgumentException e) {
            // ModelConfig's own validation (divisibility, positivity) names the rule; add the file
            throw new BadInputException(where + ": inconsistent config: " + e.getMessage(), e);
        }
    }

    private static ModelConfig gpt2(ConfigFields f) {
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
        if (f.optionalBool("add_cross_attention", false)) {
            throw f.refuse("add_cross_attention", "cross-attention over an encoder's states is not implemented; "
                    + "expected false");
        }
        if (f.optionalBool("reorder_and_upcast_attn", false)) {
            throw f.refuse("reorder_and_upcast_attn", "the float32-upcast attention of half-precision gpt2 is not "
                    + "implemented; expected false");
        }
        // GPT2Config: n_inner null means 4 * n_embd; n_ctx is a leftover that GPT2Model does not read (the context is
        // n_positions, the size of the position table)
        int inner = f.isNullOrAbsent("n_inner") ? 4 * dim : f.requiredInt("n_inner");
        // GPT2Config's defaults are 0.1, and GPT2Model applies them whenever it trains
        ModelDropout dropout = new ModelDropout(probability(f, "embd_pdrop", 0.1), probability(f, "attn_pdrop", 0.1),
                probability(f, "resid_pdrop", 0.1));
        return new ModelConfig(ModelFamily.GPT2, f.requiredInt("vocab_size"), dim, f.requiredInt("n_layer"), heads, heads,
                inner, f.requiredInt("n_positions"), f.optionalDouble("layer_norm_epsilon", 1e-5), 10000.0, true, true,
                ModelVariant.STANDARD, dropout);
    }

    /** A dropout probability in [0, 1); absent or null means {@code classDefault}. */
    static double probability(ConfigFields f, String key, double classDefault) {
        double p = f.optionalDouble(key, classDefault);
        if (!(p >= 0 && p < 1)) {
            throw f.refuse(key, "a dropout probability must be in [0, 1)");
        }
        return p;
    }
}
