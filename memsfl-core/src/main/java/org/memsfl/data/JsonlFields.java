package org.memsfl.data;

import java.util.Objects;

/**
 * Field names of a generic JSON-lines dataset. {@code prompt} may be null for plain text (no prompt, loss on the
 * whole response); {@code clientKey} may be null when records carry no client key.
 */
public record JsonlFields(String prompt, String response, String clientKey) {

    public static final JsonlFields DEFAULT = new JsonlFields("prompt", "response", null);

    public JsonlFields {
        Objects.requireNonNull(response, "response field name must not be null");
        if (response.isBlank()) {
            throw new IllegalArgumentException("response field name must not be blank");
        }
    }
}
