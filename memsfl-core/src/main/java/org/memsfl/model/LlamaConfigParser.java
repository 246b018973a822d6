package org.memsfl.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.memsfl.model.ModelVariant.Style;
import org.memsfl.util.BadInputException;

/**
 * The llama-family part of {@link HfConfigParser}: {@code llama}, {@code mistral}, {@code qwen2}, {@code qwen3},
 * {@code gemma2}, {@code gemma3_text} and {@code phi3}, with the field names and class defaults of transformers'
 * {@code LlamaConfig}, {@code MistralConfig}, {@code Qwen2Config}, {@code Qwen3Config}, {@code Gemma2Config},
 * {@code Gemma3TextConfig} and {@code Phi3Config}. Both config forms are read: transformers 4 ({@code rope_theta},
 * {@code rope_scaling}, {@code torch_dtype}) and transformers 5 ({@code rope_parameters}, flat or keyed by layer type
 * {@code full_attention}/{@code sliding_attention}; {@code dtype}).
 *
 * <p>Every field that changes the maths is honoured or refused with its key and value: RoPE types other than
 * default/linear/llama3/yarn/longrope, partial rotary factors, other activations, MLP or Gemma/Phi attention biases,
 * bidirectional attention. Dropout ({@code attention_dropout}, Phi-3's {@code resid_pdrop}) is honoured in training
 * passes ({@link ModelDropout}).
 */
final class LlamaConfigParser {

    private static final Set<String> ROPE_KEYS = Set.of("rope_type", "type", "rope_theta", "factor", "low_freq_factor",
            "high_freq_factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "attention_factor",
            "mscale", "mscale_all_dim", "truncate", "short_factor", "long_factor", "partial_rotary_factor");

    private LlamaConfigParser() {
    }

    static ModelConfig parse(ConfigFields f, String modelType) {
        Style style = switch (modelType) {
            case "qwen3" -> Style.QWEN3;
            case "gemma2" -> Style.GEMMA2;
            case "gemma3_text" -> Style.GEMMA3;
            case "phi3" -> Style.PHI3;
            default -> Style.LLAMA;
        };
        int dim = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        int layers = f.requiredInt("num_hidden_layers");
        int maxPos = f.requiredInt("max_position_embeddings");
        int headDim = headDim(f, style, dim, heads);
        activation(f, style);
        if (f.optionalBool("mlp_bias", false)) {
            throw new BadInputException(f.where + ": mlp_bias true is not supported; expected false");
        }
        boolean qkvBias = modelType.equals("qwen2") || f.optionalBool("attention_bias", false);
        if (qkvBias && (style.gemma() || style.fused())) {
            throw f.refuse("attention_bias", modelType + " with projection biases is not implemented");
        }
        ModelDropout dropout = dropout(f, style, modelType);
        if (f.optionalBool("use_bidirectional_attention", false)) {
            throw f.refuse("use_bidirectional_attention", "only causal attention is implemented");
        }
        dtype(f);
        double defaultTheta = style == Style.GEMMA3 ? 1_000_000.0 : 10000.0;
        Rope[] ropes = rope(f, style, maxPos, defaultTheta);
        List<Boolean> slidingLayers = slidingLayers(f, modelType, style, layers);
        int window = slidingLayers.contains(Boolean.TRUE) || (slidingLayers.isEmpty() && windowApplies(f, modelType))
                ? window(f, style) : 0;
        if (window >= maxPos && style != Style.GEMMA3) {
            // a window at least as long as the context never masks anything
            window = 0;
            slidingLayers = List.of();
        }
        if (window == 0 && style != Style.GEMMA3) {
            slidingLayers = List.of();
        }
        double localTheta = 0;
        if (style == Style.GEMMA3) {
            localTheta = ropes[1] != null ? ropes[1].theta : f.optionalDouble("rope_local_base_freq", 10000.0);
            if (ropes[1] != null && ropes[1].scaling != RopeScaling.NONE) {
                throw new BadInputException(f.where + ": rope_parameters.sliding_attention: only default RoPE is "
                        + "implemented for Gemma-3's local layers, got " + ropes[1].scaling.type());
            }
        } else if (ropes[1] != null) {
            throw new BadInputException(f.where + ": rope_parameters.sliding_attention is only known for gemma3_text");
        }
        double queryScalar = style.gemma() ? f.optionalDouble("query_pre_attn_scalar", 256) : 0;
        double attnCap = style.gemma() ? softcap(f, "attn_logit_softcapping", style == Style.GEMMA2 ? 50.0 : 0) : 0;
        double finalCap = style.gemma() ? softcap(f, "final_logit_softcapping", style == Style.GEMMA2 ? 30.0 : 0) : 0;
        int rotated = headDim > 0 ? headDim : dim / Math.max(heads, 1);
        RopeScaling rs = ropes[0].scaling;
        if (rs.type().equals("longrope") && rs.shortFactor().size() != rotated / 2) {
            throw new BadInputException(f.where + ": longrope short_factor and long_factor have " + rs.shortFactor().size()
                    + " entries; head_dim " + rotated + " rotates " + rotated / 2 + " pairs");
        }
        ModelVariant variant = new ModelVariant(style, headDim, ropes[0].scaling, localTheta, window, slidingLayers,
                queryScalar, attnCap, finalCap);
        return new ModelConfig(ModelFamily.LLAMA, f.requiredInt("vocab_size"), dim, layers, heads,
                f.optionalInt("num_key_value_heads", heads), f.requiredInt("intermediate_size"), maxPos,
                f.optionalDouble("rms_norm_eps", style == Style.PHI3 ? 1e-5 : 1e-6), ropes[0].theta,
                // Gemma ties by default; LlamaConfig, MistralConfig, Qwen2/3Config and Phi3Config do not
                f.optionalBool("tie_word_embeddings", style.gemma()), qkvBias, variant, dropout);
    }

    /**
     * Dropout as the type's modeling file applies it in training: {@code attention_dropout} on the attention
     * probabilities for every type; Phi-3's {@code resid_pdrop} on the attention and MLP outputs. Phi-3's
     * {@code embd_pdrop} is read and not applied, as transformers' Phi3Model never applies it. The other types' config
     * classes have no {@code resid_pdrop} or {@code embd_pdrop}: a non-zero one there is refused, since it is not
     * clear what the file's author meant it to do.
     */
    private static ModelDropout dropout(ConfigFields f, Style style, String modelType) {
        double attention = HfConfigParser.probability(f, "attention_dropout", 0);
        if (style == Style.PHI3) {
            HfConfigParser.probability(f, "embd_pdrop", 0); // validated; Phi3Model applies no embedding dropout
            return new ModelDropout(0, attention, HfConfigParser.probability(f, "resid_pdrop", 0));
        }
        for (String p : List.of("resid_pdrop", "embd_pdrop")) {
            if (f.optionalDouble(p, 0) != 0) {
                throw f.refuse(p, modelType + "'s modeling file has no such dropout (only phi3 and gpt2 do); expected 0.0 "
                        + "or absent");
            }
        }
        return new ModelDropout(0, attention, 0);
    }

    /**
     * A Gemma soft-cap: absent means the config class's default (Gemma2Config: attention 50, final 30; Gemma-3: none);
     * an explicit null means no capping, as transformers reads it ({@code if final_logit_softcapping is not None},
     * attention's {@code softcap=None}). 0 = none; a cap of 0 or below is refused.
     */
    private static double softcap(ConfigFields f, String key, double classDefault) {
        if (!f.has(key)) {
            return classDefault;
        }
        if (f.isNullOrAbsent(key)) {
            return 0;
        }
        double cap = f.optionalDouble(key, 0);
        if (cap <= 0) {
            throw f.refuse(key, "a soft-cap must be positive, or null for none");
        }
        return cap;
    }

    /** head_dim; null or absent means the class default (Gemma 256, Qwen3 128, others hidden/heads). 0 = hidden/heads. */
    private static int headDim(ConfigFields f, Style style, int dim, int heads) {
        int hd;
        if (f.isNullOrAbsent("head_dim")) {
            hd = style.gemma() ? 256 : style == Style.QWEN3 ? 128 : 0;
        } else {
            hd = f.requiredInt("head_dim");
            if (hd <= 0) {
                throw new BadInputException(f.where + ": head_dim must be > 0, got " + hd);
            }
        }
        return heads > 0 && hd * heads == dim ? 0 : hd;
    }

    private static void activation(ConfigFields f, Style style) {
        if (style.gemma()) {
            // the Gemma MLP reads hidden_activation; hidden_act is a leftover of the original release
            String act = f.optionalText("hidden_activation", "gelu_pytorch_tanh");
            if (!act.equals("gelu_pytorch_tanh") && !act.equals("gelu_new")) {
                throw new BadInputException(f.where + ": hidden_activation '" + act
                        + "' is not supported; expected gelu_pytorch_tanh (GeGLU, tanh GELU)");
            }
            return;
        }
        String act = f.optionalText("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new BadInputException(f.where + ": hidden_act '" + act + "' is not supported; expected silu (SwiGLU)");
        }
    }

    /** torch_dtype and its transformers 5 name dtype: the stored weights' type, which must agree if both are given. */
    private static void dtype(ConfigFields f) {
        String a = f.isNullOrAbsent("torch_dtype") || !f.get("torch_dtype").isTextual() ? null : f.requiredText("torch_dtype");
        String b = f.isNullOrAbsent("dtype") || !f.get("dtype").isTextual() ? null : f.requiredText("dtype");
        if (a != null && b != null && !a.equals(b)) {
            throw new BadInputException(f.where + ": torch_dtype '" + a + "' and dtype '" + b + "' disagree");
        }
    }

    /** One layer type's RoPE: base and scaling. */
    private record Rope(double theta, RopeScaling scaling) {
    }

    /** {global, local-or-null}. */
    private static Rope[] rope(ConfigFields f, Style style, int maxPos, double defaultTheta) {
        if (f.has("partial_rotary_factor") && f.optionalDouble("partial_rotary_factor", 1) != 1) {
            throw f.refuse("partial_rotary_factor", "only full-head RoPE is implemented; expected 1.0");
        }
        ConfigFields params = f.child("rope_parameters");
        if (params == null) {
            double theta = f.optionalDouble("rope_theta", defaultTheta);
            ConfigFields scaling = f.child("rope_scaling");
            return new Rope[] {new Rope(theta, scaling == null ? RopeScaling.NONE : scaling(scaling, f, maxPos)), null};
        }
        // transformers 5: rope_theta and rope_scaling live in rope_parameters; a second copy must not disagree
        if (!f.isNullOrAbsent("rope_scaling")) {
            throw new BadInputException(f.where + ": both rope_scaling and rope_parameters are set; expected one");
        }
        Rope global;
        Rope local = null;
        if (params.has("rope_type") || params.has("rope_theta") || params.has("type")) {
            global = one(params, f, maxPos, defaultTheta);
        } else {
            for (String k : params.names()) {
                if (!k.equals("full_attention") && !k.equals("sliding_attention")) {
                    throw params.refuse(k, "expected rope_type/rope_theta or the layer types full_attention, "
                            + "sliding_attention");
                }
            }
            ConfigFields full = params.child("full_attention");
            if (full == null) {
                throw new BadInputException(f.where + ": rope_parameters has no full_attention block");
            }
            global = one(full, f, maxPos, defaultTheta);
            ConfigFields sliding = params.child("sliding_attention");
            local = sliding == null ? null : one(sliding, f, maxPos, 10000.0);
        }
        if (f.has("rope_theta") && f.optionalDouble("rope_theta", 0) != global.theta) {
            throw new BadInputException(f.where + ": rope_theta " + f.get("rope_theta") + " disagrees with rope_parameters' "
                    + global.theta);
        }
        return new Rope[] {global, local};
    }

    private static Rope one(ConfigFields r, ConfigFields config, int maxPos, double defaultTheta) {
        if (r.has("partial_rotary_factor") && r.optionalDouble("partial_rotary_factor", 1) != 1) {
            throw r.refuse("partial_rotary_factor", "only full-head RoPE is implemented; expected 1.0");
        }
        return new Rope(r.optionalDouble("rope_theta", defaultTheta), scaling(r, config, maxPos));
    }

    /** rope_scaling (or one rope_parameters block) to a {@link RopeScaling}. */
    private static RopeScaling scaling(ConfigFields r, ConfigFields config, int maxPos) {
        String type = r.optionalText("rope_type", r.optionalText("type", "default"));
        if (type.equals("su")) {
            type = "longrope"; // Phi-3's first name for it
        }
        for (String k : r.names()) {
            if (!ROPE_KEYS.contains(k)) {
                throw r.refuse(k, "unknown RoPE parameter; the rotation would be computed without it");
            }
        }
        try {
            switch (type) {
                case "default":
                    return RopeScaling.NONE;
                case "linear":
                    return new RopeScaling(type, r.requiredDouble("factor"), 0, 0, 0, 0, 0, 1, true, List.of(), List.of());
                case "llama3":
                    return new RopeScaling(type, r.requiredDouble("factor"), r.requiredDouble("low_freq_factor"),
                            r.requiredDouble("high_freq_factor"), r.requiredInt("original_max_position_embeddings"), 0, 0,
                            1, true, List.of(), List.of());
                case "yarn": {
                    double factor = r.requiredDouble("factor");
                    int original = r.optionalInt("original_max_position_embeddings", maxPos);
                    if (!r.isNullOrAbsent("original_max_position_embeddings")) {
                        yarnFactorAgrees(config, factor, original, maxPos);
                    }
                    double mscale = r.optionalDouble("mscale", 0);
                    double mscaleAll = r.optionalDouble("mscale_all_dim", 0);
                    double att = r.isNullOrAbsent("attention_factor")
                            ? (mscale != 0 && mscaleAll != 0
                                ? RopeScaling.yarnMscale(factor, mscale) / RopeScaling.yarnMscale(factor, mscaleAll)
                                : RopeScaling.yarnMscale(factor, 1))
                            : r.requiredDouble("attention_factor");
                    double betaFast = r.optionalDouble("beta_fast", 0);
                    double betaSlow = r.optionalDouble("beta_slow", 0);
                    return new RopeScaling(type, factor, 0, 0, original, betaFast == 0 ? 32 : betaFast,
                            betaSlow == 0 ? 1 : betaSlow, att, r.optionalBool("truncate", true), List.of(), List.of());
                }
                case "longrope": {
                    // Phi-3 keeps the pre-training context beside max_position_embeddings and derives the factor
                    int original;
                    double factor;
                    if (!config.isNullOrAbsent("original_max_position_embeddings")) {
                        original = config.requiredInt("original_max_position_embeddings");
                        factor = (double) maxPos / original;
                    } else {
                        original = r.optionalInt("original_max_position_embeddings", maxPos);
                        factor = r.optionalDouble("factor", 1.0);
                    }
                    double att = r.isNullOrAbsent("attention_factor")
                            ? RopeScaling.longropeAttentionFactor(factor, original) : r.requiredDouble("attention_factor");
                    return new RopeScaling(type, factor, 0, 0, original, 0, 0, att, true, r.doubleList("short_factor"),
                            r.doubleList("long_factor"));
                }
                default:
                    throw r.refuse(r.has("rope_type") ? "rope_type" : "type",
                            "RoPE types implemented: default, linear, llama3, yarn, longrope");
            }
        } catch (BadInputException e) {
            throw e; // already names the file and key
        } catch (IllegalArgumentException e) {
            throw new BadInputException(config.where + ": RoPE " + type + ": " + e.getMessage(), e);
        }
    }

    /**
     * YaRN's factor where {@code original_max_position_embeddings} is given. transformers 5 uses the explicit
     * {@code factor} (the ramp over the original context, the attention factor from {@code factor}); transformers 4.x
     * since its DeepSeek-V3 support replaces {@code factor} by {@code max_position_embeddings / original} whenever
     * {@code rope_scaling} has {@code original_max_position_embeddings}, for the interpolated frequencies and the
     * attention factor alike ({@code _compute_yarn_parameters}; transformers issue 38224). Both agree when
     * {@code max_position_embeddings = factor * original}. When they do not (Qwen3's recipe adds factor 4 over 32768
     * to a config whose max_position_embeddings is 40960), the result depends on the transformers that runs the
     * model: a config saved by transformers >= 5 (its {@code transformers_version}, or the {@code rope_parameters}
     * form) gets the explicit factor, as memsfl computes; a 4.x (or unversioned) one is refused, naming both values.
     */
    private static void yarnFactorAgrees(ConfigFields config, double factor, int original, int maxPos) {
        double implicit = (double) maxPos / original;
        if (Math.abs(implicit - factor) <= 1e-12 * factor || config.has("rope_parameters")) {
            return;
        }
        String version = config.isNullOrAbsent("transformers_version") || !config.get("transformers_version").isTextual()
                ? null : config.requiredText("transformers_version");
        if (version != null && majorVersion(version) >= 5) {
            return;
        }
        throw new BadInputException(config.where + ": rope_scaling yarn factor " + factor + " disagrees with "
                + "max_position_embeddings / original_max_position_embeddings = " + maxPos + " / " + original + " = "
                + implicit + "; transformers 4.x (this config: transformers_version "
                + (version == null ? "absent" : version) + ") computes YaRN with " + implicit + ", transformers 5 with "
                + factor + ". Set max_position_embeddings to " + Math.round(factor * original)
                + " (factor x original) so that both agree");
    }

    /** The major number of a version such as {@code 4.51.3} or {@code 5.0.0.dev0}; -1 when unreadable. */
    static int majorVersion(String version) {
        int dot = version.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? version.trim() : version.substring(0, dot).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether the type applies sliding_window to every layer when no layer_types list is given. */
    private static boolean windowApplies(ConfigFields f, String modelType) {
        return switch (modelType) {
            case "mistral", "phi3" -> !f.isNullOrAbsent("sliding_window");
            default -> false;
        };
    }

    private static int window(ConfigFields f, Style style) {
        if (f.isNullOrAbsent("sliding_window")) {
            if (style.gemma()) {
                return 4096; // Gemma2Config and Gemma3TextConfig default
            }
            throw new BadInputException(f.where + ": layers use sliding-window attention but sliding_window is null");
        }
        int w = f.requiredInt("sliding_window");
        if (w <= 0) {
            throw new BadInputException(f.where + ": sliding_window must be > 0, got " + w);
        }
        return w;
    }

    /**
     * Which layers attend within the window: {@code layer_types} where given (transformers >= 4.53 and 5 write it),
     * else the type's rule: Gemma-2 alternates starting with a sliding layer, Gemma-3 has every
     * {@code sliding_window_pattern}-th layer global, Qwen2/3 with {@code use_sliding_window} slide from
     * {@code max_window_layers} on. Empty: the same for every layer (Mistral, Phi-3, or none).
     */
    private static List<Boolean> slidingLayers(ConfigFields f, String modelType, Style style, int layers) {
        if (!f.isNullOrAbsent("layer_types")) {
            List<Boolean> out = new ArrayList<>();
            var arr = f.get("layer_types");
            if (!arr.isArray() || arr.size() != layers) {
                throw new BadInputException(f.where + ": layer_types must list " + layers + " layer types, got " + arr);
            }
            for (var e : arr) {
                String t = e.asText();
                if (!t.equals("sliding_attention") && !t.equals("full_attention")) {
                    throw new BadInputException(f.where + ": layer_types entry '" + t
                            + "' is not supported; expected full_attention or sliding_attention");
                }
                out.add(t.equals("sliding_attention"));
            }
            boolean qwen = modelType.equals("qwen2") || modelType.equals("qwen3");
            if (qwen && !f.optionalBool("use_sliding_window", false)) {
                return List.of(); // Qwen2Config keeps the list but ignores it without use_sliding_window
            }
            return out;
        }
        List<Boolean> out = new ArrayList<>();
        switch (style) {
            case GEMMA2:
                for (int i = 0; i < layers; i++) {
                    out.add((i + 1) % 2 != 0);
                }
                return out;
            case GEMMA3: {
                int pattern = f.optionalInt("sliding_window_pattern", 6);
                for (int i = 0; i < layers; i++) {
                    out.add((i + 1) % pattern != 0);
                }
                return out;
            }
            default:
                break;
        }
        if ((modelType.equals("qwen2") || modelType.equals("qwen3")) && f.optionalBool("use_sliding_window", false)) {
            int from = f.optionalInt("max_window_layers", 28);
            for (int i = 0; i < layers; i++) {
                out.add(i >= from);
            }
        }
        return out;
    }
}
