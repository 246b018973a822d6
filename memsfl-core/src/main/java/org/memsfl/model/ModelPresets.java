package org.memsfl.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.util.BadInputException;

/**
 * Shapes of well-known models for {@code random:<preset>}: memory and time depend on shapes, not on weight values.
 * Context lengths of the long-context models are capped at 8192; nothing else that shapes memory or time differs.
 * Each is the checkpoint's config.json: Llama-3.2-1B (with its llama3 RoPE scaling), Qwen2.5-0.5B, Qwen3-0.6B,
 * SmolLM2-135M, Gemma-2-2B, Gemma-3-1B and Phi-3.5-mini. Phi-3.5's longrope factors are values, not shapes, and are
 * left out (plain RoPE); its sliding window (262143) exceeds the context and masks nothing.
 */
public final class ModelPresets {

    private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("gpt2", gpt2(768, 12, 12));
        PRESETS.put("gpt2-medium", gpt2(1024, 24, 16));
        PRESETS.put("gpt2-large", gpt2(1280, 36, 20));
        PRESETS.put("llama-3.2-1b", new ModelConfig(ModelFamily.LLAMA, 128256, 2048, 16, 32, 8, 8192, 8192, 1e-5,
                500000.0, true, false, new ModelVariant(ModelVariant.Style.LLAMA, 0,
                        new RopeScaling("llama3", 32, 1, 4, 8192, 0, 0, 1, true, List.of(), List.of()), 0, 0, List.of(),
                        0, 0, 0)));
        PRESETS.put("qwen3-0.6b", new ModelConfig(ModelFamily.LLAMA, 151936, 1024, 28, 16, 8, 3072, 8192, 1e-6,
                1000000.0, true, false, ModelVariant.STANDARD.withStyle(ModelVariant.Style.QWEN3).withHeadDim(128)));
        PRESETS.put("smollm2-135m", new ModelConfig(ModelFamily.LLAMA, 49152, 576, 30, 9, 3, 1536, 8192, 1e-5,
                100000.0, true, false));
        PRESETS.put("gemma-2-2b", new ModelConfig(ModelFamily.LLAMA, 256000, 2304, 26, 8, 4, 9216, 8192, 1e-6,
                10000.0, true, false, new ModelVariant(ModelVariant.Style.GEMMA2, 256, RopeScaling.NONE, 0, 4096,
                        pattern(26, 2), 256, 50.0, 30.0)));
        PRESETS.put("gemma-3-1b", new ModelConfig(ModelFamily.LLAMA, 262144, 1152, 26, 4, 1, 6912, 8192, 1e-6,
                1000000.0, true, false, new ModelVariant(ModelVariant.Style.GEMMA3, 256, RopeScaling.NONE, 10000.0, 512,
                        pattern(26, 6), 256, 0, 0)));
        PRESETS.put("phi-3.5-mini", new ModelConfig(ModelFamily.LLAMA, 32064, 3072, 32, 32, 32, 8192, 8192, 1e-5,
                10000.0, false, false, ModelVariant.STANDARD.withStyle(ModelVariant.Style.PHI3)));
        PRESETS.put("qwen2.5-0.5b", new ModelConfig(ModelFamily.LLAMA, 151936, 896, 24, 14, 2, 4864, 8192, 1e-6,
                1000000.0, true, true));
        PRESETS.put("stories260K", new ModelConfig(ModelFamily.LLAMA, 512, 64, 5, 8, 4, 172, 512, 1e-5, 10000.0, true,
                false));
        PRESETS.put("tiny-llama", new ModelConfig(ModelFamily.LLAMA, 64, 16, 3, 4, 2, 24, 64, 1e-5, 10000.0, false,
                false));
        // tiny shapes of the newer types, for tests and quick checks
        PRESETS.put("tiny-qwen3", new ModelConfig(ModelFamily.LLAMA, 64, 16, 2, 2, 1, 24, 64, 1e-6, 1000000.0, true, false,
                ModelVariant.STANDARD.withStyle(ModelVariant.Style.QWEN3).withHeadDim(16)));
        PRESETS.put("tiny-gemma3", new ModelConfig(ModelFamily.LLAMA, 64, 16, 2, 2, 1, 24, 64, 1e-6, 1000000.0, true,
                false, new ModelVariant(ModelVariant.Style.GEMMA3, 16, RopeScaling.NONE, 10000.0, 4, pattern(2, 2), 16,
                        0, 0)));
        PRESETS.put("tiny-phi3", new ModelConfig(ModelFamily.LLAMA, 64, 16, 2, 2, 2, 24, 64, 1e-5, 10000.0, false, false,
                ModelVariant.STANDARD.withStyle(ModelVariant.Style.PHI3)));
        PRESETS.put("tiny-gpt2", new ModelConfig(ModelFamily.GPT2, 64, 16, 3, 2, 2, 32, 64, 1e-5, 10000.0, true, true));
    }

    private ModelPresets() {
    }

    /** Gemma's layer pattern: every {@code period}-th layer (counting from 1) is global, the others slide. */
    private static List<Boolean> pattern(int layers, int period) {
        List<Boolean> out = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            out.add((i + 1) % period != 0);
        }
        return out;
    }

    private static ModelConfig gpt2(int dim, int layers, int heads) {
        return new ModelConfig(ModelFamily.GPT2, 50257, dim, layers, heads, heads, 4 * dim, 1024, 1e-5, 10000.0, true, true);
    }

    public static ModelConfig get(String name) {
        ModelConfig c = PRESETS.get(name);
        if (c == null) {
            throw new BadInputException("unknown model preset 'random:" + name + "'; known: " + PRESETS.keySet());
        }
        return c;
    }

    public static Iterable<String> names() {
        return PRESETS.keySet();
    }
}
