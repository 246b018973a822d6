package org.memsfl.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** N-gram counting over token lists; an n-gram is its tokens joined by a single space. */
final class NGrams {

    private NGrams() {
    }

    /** Counts of every n-gram of exactly order {@code n} in {@code tokens}. */
    static Map<String, Integer> count(List<String> tokens, int n) {
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            out.merge(String.join(" ", tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return out;
    }

    /** Number of n-grams of order n in a sequence of {@code length} tokens. */
    static int total(int length, int n) {
        return Math.max(0, length - n + 1);
    }
}
