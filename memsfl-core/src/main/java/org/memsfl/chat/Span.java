package org.memsfl.chat;

/**
 * A half-open character range {@code [start, end)} of rendered text.
 *
 * @param start first character
 * @param end   one past the last character
 */
public record Span(int start, int end) {

    public Span {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("span must have 0 <= start <= end, got [" + start + ", " + end + ")");
        }
    }
}
