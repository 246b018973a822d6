package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;

/** The load-time NaN/Inf check runs a chunk at a time: a bad value in any chunk, the last partial one too, is found. */
class AllFiniteTest {

    private static boolean check(int badIndex, float bad) {
        int n = (1 << 22) + 6; // one full chunk and a partial one
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i % 7) - 3.5f;
        }
        if (badIndex >= 0) {
            v[badIndex] = bad;
        }
        try (NativeScope scope = new NativeScope()) {
            return DecoderModel.allFinite(Tensors.fromFloats(v, 5, n / 5));
        }
    }

    @Test
    void findsBadValuesInEveryChunk() {
        assertThat(check(-1, 0)).isTrue();
        assertThat(check(0, Float.NaN)).isFalse();
        assertThat(check((1 << 22) - 1, Float.POSITIVE_INFINITY)).isFalse();
        assertThat(check(1 << 22, Float.NaN)).isFalse();
        assertThat(check((1 << 22) + 5, Float.NEGATIVE_INFINITY)).isFalse();
    }
}
