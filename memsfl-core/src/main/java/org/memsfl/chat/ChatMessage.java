package org.memsfl.chat;

import java.util.Map;
import java.util.Objects;

/**
 * One turn of a conversation, as transformers passes it to a chat template: {@code {"role": ..., "content": ...}}.
 *
 * @param role    {@code system}, {@code user} or {@code assistant} (templates may know others, e.g. {@code tool})
 * @param content the turn's text
 */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role must not be null");
        Objects.requireNonNull(content, "content must not be null");
        if (role.isBlank()) {
            throw new IllegalArgumentException("role must not be blank");
        }
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }

    public boolean isAssistant() {
        return "assistant".equals(role);
    }

    /** The mapping the template sees. */
    Map<String, Object> asMap() {
        return Map.of("role", role, "content", content);
    }
}
