package org.memsfl.metrics;

import java.util.List;
import java.util.Objects;

/**
 * One generated output with everything needed to score it: the prompt it answered, every reference for that prompt
 * (E2E has several per meaning representation; they are scored together), the model's text, and the natural client
 * key of the example ("" when the dataset has none), so quality can be broken down per device.
 */
public record Prediction(String prompt, List<String> references, String prediction, String clientKey) {

    public Prediction {
        Objects.requireNonNull(prompt, "prompt must not be null (use \"\" when there is none)");
        Objects.requireNonNull(prediction, "prediction must not be null");
        Objects.requireNonNull(clientKey, "clientKey must not be null (use \"\" for no key)");
        references = List.copyOf(references);
        if (references.isEmpty()) {
            throw new IllegalArgumentException("references must hold at least one reference, got none for prompt '"
                    + abbreviate(prompt) + "'");
        }
    }

    /** A prediction without prompt or client key, e.g. for scoring another system's outputs. */
    public static Prediction of(String prediction, String... references) {
        return new Prediction("", List.of(references), prediction, "");
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
