package org.memsfl.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.engine.Tensors;

/**
 * A scaled-down checkpoint of one family, written the way the real one is: its config.json keys (in the transformers
 * 4 form, or the transformers 5 form with {@code rope_parameters} and {@code dtype}), its tensor names and its storage
 * dtype, with random weights. {@link #weights} holds the stored values (after rounding to the storage dtype) for
 * {@link NaiveDecoder}, the float64 oracle that shares no code with memsfl's model.
 *
 * @param name      test label
 * @param modelType config.json model_type
 * @param headDim   explicit head_dim, or 0 for {@code "head_dim": null}
 * @param rope      rope_scaling block ("rope_type" first), or null for none
 * @param original  Phi-3's top-level original_max_position_embeddings, or 0
 * @param window    sliding_window, or 0 for null
 * @param pattern   Gemma-3's sliding_window_pattern, or 0
 * @param textLen   tokens the loss is taken over (>= 200 where RoPE scaling must show)
 */
record FamilyFixture(String name, String modelType, int vocab, int dim, int layers, int heads, int kvHeads, int headDim,
                     int inter, int maxPos, double eps, double theta, boolean tied, Map<String, Object> rope,
                     int original, int window, int pattern, double queryScalar, double attnCap, double finalCap,
                     double localTheta, DType store, int textLen) {

    int hd() {
        return headDim > 0 ? headDim : dim / heads;
    }

    boolean gemma() {
        return modelType.startsWith("gemma");
    }

    boolean fused() {
        return modelType.equals("phi3");
    }

    boolean qkNorm() {
        return modelType.equals("qwen3") || modelType.equals("gemma3_text");
    }

    /** Whether layer i is a sliding-window (local) layer, by the checkpoint type's own rule. */
    boolean sliding(int i) {
        return switch (modelType) {
            case "gemma2" -> i % 2 == 0;
            case "gemma3_text" -> (i + 1) % pattern != 0;
            case "mistral" -> window > 0;
            default -> false;
        };
    }

    static List<FamilyFixture> all() {
        return List.of(llama3(), qwen3Yarn(), phi3(), gemma2(), gemma3(), mistral());
    }

    /** Llama-3.2-style: llama3 RoPE (factor 32, original 64 so that every band occurs), head_dim 16, tied, bf16. */
    static FamilyFixture llama3() {
        return new FamilyFixture("llama3", "llama", 64, 64, 3, 4, 2, 16, 96, 2048, 1e-5, 500000.0, true,
                rope("llama3", "factor", 32.0, "high_freq_factor", 4.0, "low_freq_factor", 1.0,
                        "original_max_position_embeddings", 64), 0, 0, 0, 0, 0, 0, 0, DType.BF16, 220);
    }

    /** Qwen3 with YaRN: head_dim 16 with hidden 32 and 4 heads (q_proj 64 wide), q/k norms, untied, bf16. */
    static FamilyFixture qwen3Yarn() {
        return new FamilyFixture("qwen3-yarn", "qwen3", 64, 32, 3, 4, 2, 16, 64, 256, 1e-6, 1000000.0, false,
                rope("yarn", "factor", 4.0, "original_max_position_embeddings", 64), 0, 0, 0, 0, 0, 0, 0, DType.BF16,
                220);
    }

    /** Phi-3.5-mini-style: fused qkv/gate_up, longrope with top-level original 64 (factor 4), untied, bf16. */
    static FamilyFixture phi3() {
        double[] sf = new double[8];
        double[] lf = new double[8];
        for (int i = 0; i < 8; i++) {
            sf[i] = 1.0 + 0.05 * i;
            lf[i] = 1.0 + 1.5 * i;
        }
        return new FamilyFixture("phi3", "phi3", 64, 32, 3, 2, 2, 0, 64, 256, 1e-5, 10000.0, false,
                rope("longrope", "long_factor", lf, "short_factor", sf), 64, 262143, 0, 0, 0, 0, 0, DType.BF16, 220);
    }

    /** Gemma-2: alternating sliding (window 8) and global layers, caps, query_pre_attn_scalar 32 != head_dim, f32. */
    static FamilyFixture gemma2() {
        return new FamilyFixture("gemma2", "gemma2", 64, 32, 3, 4, 2, 16, 64, 512, 1e-6, 10000.0, true, null, 0, 8,
                0, 32, 20.0, 10.0, 0, DType.F32, 40);
    }

    /** Gemma-3 text: local (window 8, base 10000) and global (linear-scaled, base 1e6) layers, q/k norms, bf16. */
    static FamilyFixture gemma3() {
        return new FamilyFixture("gemma3", "gemma3_text", 64, 32, 3, 4, 1, 16, 64, 512, 1e-6, 1000000.0, true,
                rope("linear", "factor", 8.0), 0, 8, 2, 16, 0, 0, 10000.0, DType.BF16, 40);
    }

    /** Mistral-7B-v0.1-style: window 16 on every layer, context 1024 (never the window), "head_dim": null, bf16. */
    static FamilyFixture mistral() {
        return new FamilyFixture("mistral", "mistral", 64, 32, 3, 4, 2, 0, 64, 1024, 1e-5, 10000.0, false, null, 0, 16,
                0, 0, 0, 0, 0, DType.BF16, 40);
    }

    private static Map<String, Object> rope(String type, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(type.equals("longrope") ? "type" : "rope_type", type);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** config.json as the checkpoint ships it (transformers 4), or as transformers 5 saves it. */
    String configJson(boolean transformers5) {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(switch (modelType) {
            case "qwen3" -> "Qwen3ForCausalLM";
            case "phi3" -> "Phi3ForCausalLM";
            case "gemma2" -> "Gemma2ForCausalLM";
            case "gemma3_text" -> "Gemma3ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            default -> "LlamaForCausalLM";
        });
        o.put("model_type", modelType);
        o.put("vocab_size", vocab);
        o.put("hidden_size", dim);
        o.put("intermediate_size", inter);
        o.put("num_hidden_layers", layers);
        o.put("num_attention_heads", heads);
        o.put("num_key_value_heads", kvHeads);
        if (headDim > 0) {
            o.put("head_dim", headDim);
        } else {
            o.putNull("head_dim");
        }
        o.put("max_position_embeddings", maxPos);
        o.put("rms_norm_eps", eps);
        o.put("tie_word_embeddings", tied);
        o.put("attention_dropout", 0.0);
        o.put("bos_token_id", 1);
        o.put("eos_token_id", 2);
        if (gemma()) {
            o.put("hidden_activation", "gelu_pytorch_tanh");
            o.put("hidden_act", "gelu_pytorch_tanh");
            o.put("query_pre_attn_scalar", queryScalar);
            putCap(o, "attn_logit_softcapping", attnCap);
            putCap(o, "final_logit_softcapping", finalCap);
            o.put("sliding_window", window);
            o.put("attention_bias", false);
        } else {
            o.put("hidden_act", "silu");
        }
        switch (modelType) {
            case "llama" -> {
                o.put("attention_bias", false);
                o.put("mlp_bias", false);
                o.put("pretraining_tp", 1);
            }
            case "qwen3" -> {
                o.put("attention_bias", false);
                o.put("use_sliding_window", false);
                o.putNull("sliding_window");
                o.put("max_window_layers", layers);
            }
            case "phi3" -> {
                o.put("original_max_position_embeddings", original);
                o.put("sliding_window", window);
                o.put("resid_pdrop", 0.0);
                o.put("embd_pdrop", 0.0);
            }
            case "mistral" -> o.put("sliding_window", window);
            default -> { }
        }
        String dtype = store == DType.BF16 ? "bfloat16" : "float32";
        if (!transformers5) {
            o.put("torch_dtype", dtype);
            o.put("rope_theta", theta);
            if (rope == null) {
                o.putNull("rope_scaling");
            } else {
                o.set("rope_scaling", JSON.valueToTree(rope));
            }
            if (modelType.equals("gemma3_text")) {
                o.put("rope_local_base_freq", localTheta);
                o.put("sliding_window_pattern", pattern);
            }
        } else {
            o.put("dtype", dtype);
            ObjectNode global = JSON.createObjectNode();
            global.put("rope_type", rope == null ? "default" : (String) rope.getOrDefault("rope_type", rope.get("type")));
            global.put("rope_theta", theta);
            if (rope != null) {
                rope.forEach((k, v) -> {
                    if (!k.equals("rope_type") && !k.equals("type")) {
                        global.set(k, JSON.valueToTree(v));
                    }
                });
            }
            if (gemma()) {
                ArrayNode types = o.putArray("layer_types");
                for (int i = 0; i < layers; i++) {
                    types.add(sliding(i) ? "sliding_attention" : "full_attention");
                }
            }
            if (modelType.equals("gemma3_text")) {
                ObjectNode nested = o.putObject("rope_parameters");
                nested.set("full_attention", global);
                ObjectNode local = nested.putObject("sliding_attention");
                local.put("rope_type", "default");
                local.put("rope_theta", localTheta);
            } else {
                o.set("rope_parameters", global);
            }
        }
        o.put("transformers_version", transformers5 ? "5.0.0" : "4.51.0");
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putCap(ObjectNode o, String k, double v) {
        if (v > 0) {
            o.put(k, v);
        } else {
            o.putNull(k);
        }
    }

    /** Tensor names and shapes as the real checkpoint stores them. */
    Map<String, long[]> shapes() {
        Map<String, long[]> s = new LinkedHashMap<>();
        long q = (long) heads * hd();
        long kv = (long) kvHeads * hd();
        s.put("model.embed_tokens.weight", new long[] {vocab, dim});
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {dim});
            if (fused()) {
                s.put(p + "self_attn.qkv_proj.weight", new long[] {q + 2 * kv, dim});
            } else {
                s.put(p + "self_attn.q_proj.weight", new long[] {q, dim});
                s.put(p + "self_attn.k_proj.weight", new long[] {kv, dim});
                s.put(p + "self_attn.v_proj.weight", new long[] {kv, dim});
            }
            if (qkNorm()) {
                s.put(p + "self_attn.q_norm.weight", new long[] {hd()});
                s.put(p + "self_attn.k_norm.weight", new long[] {hd()});
            }
            s.put(p + "self_attn.o_proj.weight", new long[] {dim, q});
            s.put(p + "post_attention_layernorm.weight", new long[] {dim});
            if (gemma()) {
                s.put(p + "pre_feedforward_layernorm.weight", new long[] {dim});
                s.put(p + "post_feedforward_layernorm.weight", new long[] {dim});
            }
            if (fused()) {
                s.put(p + "mlp.gate_up_proj.weight", new long[] {2L * inter, dim});
            } else {
                s.put(p + "mlp.gate_proj.weight", new long[] {inter, dim});
                s.put(p + "mlp.up_proj.weight", new long[] {inter, dim});
            }
            s.put(p + "mlp.down_proj.weight", new long[] {dim, inter});
        }
        s.put("model.norm.weight", new long[] {dim});
        if (!tied) {
            s.put("lm_head.weight", new long[] {vocab, dim});
        }
        return s;
    }

    /**
     * Writes config.json and model.safetensors into {@code dir} and returns the stored values as float64.
     */
    Map<String, double[]> write(Path dir, boolean transformers5, long seed) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson(transformers5));
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> stored = new LinkedHashMap<>();
        Map<String, double[]> values = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes().entrySet()) {
            long[] shape = e.getValue();
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            double[] v = new double[n];
            boolean norm = e.getKey().contains("norm");
            double std = norm ? 0.1 : e.getKey().contains("embed") ? 0.5 : 1.2 / Math.sqrt(shape[1]);
            for (int i = 0; i < n; i++) {
                double g = gaussian(rng) * std;
                v[i] = norm && !gemma() ? 1.0 + g : g; // Gemma stores w of (1 + w)
            }
            Tensor t = Tensors.fromDoubles(v, shape).to(store.scalarType()).contiguous();
            stored.put(e.getKey(), t);
            values.put(e.getKey(), Tensors.toDoubles(t.to(DType.F64.scalarType())));
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), stored, Map.of("format", "pt"));
        return values;
    }

    static double gaussian(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Token ids of a text of {@code textLen} + 1 tokens (inputs and next-token targets). */
    int[] text(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] ids = new int[textLen + 1];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(vocab);
        }
        return ids;
    }
}
