package org.memsfl.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One held-out prompt with every reference the dataset gives for it (E2E has several descriptions per meaning
 * representation, and its official scoring uses them together), its natural client key, and its instruction (the
 * user turn when a chat template formats it, see {@link Example#instruction}).
 */
public record HeldOutPrompt(String prompt, List<String> references, String clientKey, String instruction) {

    /** A prompt whose user turn is the prompt as is. */
    public HeldOutPrompt(String prompt, List<String> references, String clientKey) {
        this(prompt, references, clientKey, prompt);
    }

    public HeldOutPrompt {
        Objects.requireNonNull(prompt, "prompt must not be null");
        Objects.requireNonNull(instruction, "instruction must not be null");
        Objects.requireNonNull(clientKey, "clientKey must not be null");
        references = List.copyOf(references);
        if (references.isEmpty()) {
            throw new IllegalArgumentException("a held-out prompt needs at least one reference");
        }
    }

    /**
     * Examples with the same prompt merged into one held-out prompt, in order of first appearance. Plain-text
     * examples (empty prompt) have nothing to condition on and are skipped.
     */
    public static List<HeldOutPrompt> group(List<Example> examples) {
        Map<String, List<Example>> byPrompt = new LinkedHashMap<>();
        for (Example e : examples) {
            if (!e.prompt().isEmpty()) {
                byPrompt.computeIfAbsent(e.prompt(), p -> new ArrayList<>()).add(e);
            }
        }
        List<HeldOutPrompt> out = new ArrayList<>(byPrompt.size());
        byPrompt.forEach((prompt, group) -> out.add(new HeldOutPrompt(prompt,
                group.stream().map(Example::response).toList(), group.get(0).clientKey(), group.get(0).instruction())));
        return out;
    }
}
