package org.memsfl.data;

import java.util.Objects;

/**
 * One training example. The loss covers {@code response} only; an empty {@code prompt} means plain language-model
 * data (loss on the whole text). {@code clientKey} is the natural non-IID key used to split data across clients
 * ("" when the dataset has none). {@code instruction} is the user's request without the plain template's wording
 * (Dolly's instruction and context, GSM8K's question): the user turn when a chat template formats the example.
 */
public record Example(String prompt, String response, String clientKey, String instruction) {

    public Example {
        Objects.requireNonNull(prompt, "prompt must not be null (use \"\" for plain text)");
        Objects.requireNonNull(response, "response must not be null");
        Objects.requireNonNull(clientKey, "clientKey must not be null (use \"\" for no key)");
        Objects.requireNonNull(instruction, "instruction must not be null (use the prompt)");
    }

    /** An example whose user turn is its prompt as is. */
    public Example(String prompt, String response, String clientKey) {
        this(prompt, response, clientKey, prompt);
    }

    /** Plain text for language modelling: no prompt, no client key. */
    public static Example text(String text) {
        return new Example("", text, "");
    }
}
