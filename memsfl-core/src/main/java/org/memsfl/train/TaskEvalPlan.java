package org.memsfl.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * When and how a run evaluates by generation: decoding settings, held-out prompts per device, and every how many
 * rounds (0: the final round only). The final round is always evaluated.
 */
public record TaskEvalPlan(TaskEvaluator.Settings settings, int promptsPerDevice, int everyRounds) {

    public TaskEvalPlan {
        Objects.requireNonNull(settings, "settings must not be null");
        if (promptsPerDevice < 1) {
            throw new IllegalArgumentException("held-out prompts per device must be >= 1, got " + promptsPerDevice);
        }
        if (everyRounds < 0) {
            throw new IllegalArgumentException("generation every k rounds needs k >= 0 (0: final round only), got "
                    + everyRounds);
        }
    }

    /** Whether round {@code round} (from 1) of {@code rounds} is evaluated by generation. */
    public boolean due(int round, int rounds) {
        return round == rounds || (everyRounds > 0 && round % everyRounds == 0);
    }

    /** For manifests and summaries. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max_new_tokens", settings.maxNewTokens());
        m.put("batch_size", settings.batchSize());
        m.put("temperature", settings.temperature());
        m.put("prompts_per_device", promptsPerDevice);
        m.put("every_rounds", everyRounds);
        return m;
    }
}
