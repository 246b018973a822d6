package org.memsfl.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Rng;
import org.memsfl.engine.Tensors;

/**
 * Dropout masks drawn from a seeded generator: the same seed gives the same mask (what makes split training
 * independent of serving order and of restarts), another seed another mask, and the mask has the right statistics.
 */
class LoraDropoutTest {

    private static float[] ones(int n) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        return x;
    }

    private static float[] draw(long seed, double p, int n) {
        try (NativeScope scope = new NativeScope()) {
            Generator g = Rng.generator(seed);
            return Tensors.toFloats(new LoraDropout(p, g).apply(Tensors.fromFloats(ones(n), n)));
        }
    }

    @Test
    void sameSeedSameMaskOtherSeedOtherMask() {
        float[] a = draw(42, 0.25, 4096);
        assertThat(draw(42, 0.25, 4096)).containsExactly(a);
        assertThat(draw(43, 0.25, 4096)).isNotEqualTo(a);
    }

    @Test
    void keptElementsAreScaledAndTheRateMatchesP() {
        int n = 200_000;
        double p = 0.1;
        float[] y = draw(7, p, n);
        long zeros = 0;
        double sum = 0;
        for (float v : y) {
            if (v == 0f) {
                zeros++;
            } else {
                assertThat((double) v).isCloseTo(1 / (1 - p), within(1e-6));
            }
            sum += v;
        }
        // binomial(n, p): standard deviation sqrt(n p (1-p)) = 134 zeros; 6 sigma = 805 (fails by chance < 1e-8)
        assertThat((double) zeros).isCloseTo(n * p, within(805.0));
        // inverted dropout keeps the expectation: mean 1 within 6 sigma of (1/(1-p)) sqrt(p (1-p) / n)
        assertThat(sum / n).isCloseTo(1.0, within(6 * Math.sqrt(p * (1 - p) / n) / (1 - p)));
    }

    @Test
    void zeroRateIsTheIdentityAndRngSeedsDifferPerStream() {
        assertThat(draw(1, 0, 16)).containsExactly(ones(16));
        assertThat(Rng.seed(5, "device/a", 1)).isEqualTo(Rng.seed(5, "device/a", 1))
                .isNotEqualTo(Rng.seed(5, "device/b", 1))
                .isNotEqualTo(Rng.seed(5, "device/a", 2))
                .isNotEqualTo(Rng.seed(6, "device/a", 1));
    }

    @Test
    void reseedingAGeneratorRepeatsItsDraws() {
        try (NativeScope scope = new NativeScope()) {
            Generator g = Rng.generator(0);
            g.set_current_seed(Rng.seed(3, "server/x", 4));
            Tensor first = new LoraDropout(0.5, g).apply(Tensors.fromFloats(ones(512), 512));
            g.set_current_seed(Rng.seed(3, "server/x", 4));
            Tensor again = new LoraDropout(0.5, g).apply(Tensors.fromFloats(ones(512), 512));
            assertThat(Tensors.toFloats(again)).containsExactly(Tensors.toFloats(first));
        }
    }
}
