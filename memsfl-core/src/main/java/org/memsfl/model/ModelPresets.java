package org.memsfl.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.memsfl.util.BadInputException;

/**
 * Shapes of well-known models for {@code random:<preset>}: memory and time depend on shapes, not on weight values.
 * Context lengths of the long-context models are capped at 8192 to keep the RoPE table small; nothing else differs.
 */
public final class ModelPresets {

    private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("gpt2", gpt2(768, 12, 12));
        PRESETS.put("gpt2-medium", gpt2(1024, 24, 16));
        PRESETS.put("gpt2-large", gpt2(1280, 36, 20));
        PRESETS.put("llama-3.2-1b", new ModelConfig(ModelFamily.LLAMA, 128256, 2048, 16, 32, 8, 8192, 8192, 1e-5,
                500000.0, true, false));
        PRESETS.put("qwen2.5-0.5b", new ModelConfig(ModelFamily.LLAMA, 151936, 896, 24, 14, 2, 4864, 8192, 1e-6,
                1000000.0, true, true));
        PRESETS.put("stories260K", new ModelConfig(ModelFamily.LLAMA, 512, 64, 5, 8, 4, 172, 512, 1e-5, 10000.0, true,
                false));
        PRESETS.put("tiny-llama", new ModelConfig(ModelFamily.LLAMA, 64, 16, 3, 4, 2, 24, 64, 1e-5, 10000.0, false,
                false));
        PRESETS.put("tiny-gpt2", new ModelConfig(ModelFamily.GPT2, 64, 16, 3, 2, 2, 32, 64, 1e-5, 10000.0, true, true));
    }

    private ModelPresets() {
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
