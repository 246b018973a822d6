package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;

/**
 * The unfused half-precision attention ({@link Attention}, taken for bf16/fp16 while the scores stay small) against
 * a float64 naive attention written here from the definition (no model code), on the same half-rounded q, k, v, and
 * against libtorch's fused kernel on the same inputs.
 *
 * <p>Tolerance: the unfused path rounds the scores and the probabilities to the half dtype before the product with
 * v, and the output once more; each rounding is at most 2^-8 relative in bf16 (2^-11 in fp16) on values of order
 * 1, so 4 units of the last place (1.6e-2 bf16, 2e-3 fp16) bound the sum of those errors with room for
 * accumulation order.
 */
class HalfAttentionTest {

    @ParameterizedTest(name = "{0}: heads {1}/{2}, window {3}")
    @CsvSource({
        "BF16, 4, 4, 0",
        "BF16, 4, 2, 0",
        "BF16, 4, 4, 5",
        "F16, 4, 4, 0",
        "F16, 4, 2, 5",
    })
    void unfusedHalfAttentionMatchesAFloat64Oracle(DType dtype, int heads, int kvHeads, int window) {
        Engine.init();
        int b = 2;
        int t = 12;
        int hd = 8;
        double tol = dtype == DType.BF16 ? 4 * Math.pow(2, -8) : 4 * Math.pow(2, -11);
        try (NativeScope scope = new NativeScope()) {
            SplittableRandom rng = new SplittableRandom(7);
            Tensor q = random(rng, b, heads, t, hd).to(dtype.scalarType());
            Tensor k = random(rng, b, kvHeads, t, hd).to(dtype.scalarType());
            Tensor v = random(rng, b, kvHeads, t, hd).to(dtype.scalarType());
            assertThat(Attention.unfusedHalf(q, t)).isTrue();

            Attention.Spec spec = new Attention.Spec(Double.NaN, 0, window);
            double[] got = Tensors.toDoubles(Attention.attend(q, k, v, 0, ForwardContext.inference(null), spec)
                    .to(torch.ScalarType.Double)); // (B, T, heads * hd)
            double[] want = naive(Tensors.toDoubles(q.to(torch.ScalarType.Double)),
                    Tensors.toDoubles(k.to(torch.ScalarType.Double)), Tensors.toDoubles(v.to(torch.ScalarType.Double)),
                    b, heads, kvHeads, t, hd, window);
            assertThat(maxAbsDiff(got, want)).isLessThanOrEqualTo(tol);

            if (window == 0 && heads == kvHeads) {
                // the fused kernel, which the unfused path replaces for speed, agrees within the same bound
                Tensor fused = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, true,
                        new DoubleOptional(), false).transpose(1, 2).reshape(b, t, (long) heads * hd);
                assertThat(maxAbsDiff(got, Tensors.toDoubles(fused.to(torch.ScalarType.Double)))).isLessThanOrEqualTo(tol);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void longInputsAndFloat32KeepTheFusedKernel() {
        Engine.init();
        try (NativeScope scope = new NativeScope()) {
            Tensor longHalf = torch.empty(1, 32, 2048, 64).to(torch.ScalarType.BFloat16); // 512 MiB of fp32 scores
            assertThat(Attention.unfusedHalf(longHalf, 2048)).isFalse();
            assertThat(Attention.unfusedHalf(torch.empty(4, 12, 128, 64), 128)).isFalse(); // float32
            assertThat(Attention.unfusedHalf(torch.empty(4, 12, 128, 64).to(torch.ScalarType.BFloat16), 128)).isTrue();
        }
    }

    private static Tensor random(SplittableRandom rng, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return Tensors.fromFloats(v, shape);
    }

    /** softmax(q k^T / sqrt(hd) + banded causal mask) v in float64; q (B,H,T,hd), k/v (B,KV,T,hd) flat; out (B,T,H*hd). */
    static double[] naive(double[] q, double[] k, double[] v, int b, int heads, int kvHeads, int t, int hd, int window) {
        double[] out = new double[b * t * heads * hd];
        int group = heads / kvHeads;
        double scale = 1.0 / Math.sqrt(hd);
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < heads; h++) {
                int kh = h / group;
                for (int i = 0; i < t; i++) {
                    double[] w = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        boolean seen = j <= i && (window == 0 || j > i - window);
                        if (!seen) {
                            w[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int d = 0; d < hd; d++) {
                            dot += q[((bi * heads + h) * t + i) * hd + d] * k[((bi * kvHeads + kh) * t + j) * hd + d];
                        }
                        w[j] = dot * scale;
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        w[j] = w[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(w[j] - max);
                        sum += w[j];
                    }
                    for (int d = 0; d < hd; d++) {
                        double acc = 0;
                        for (int j = 0; j < t; j++) {
                            acc += w[j] / sum * v[((bi * kvHeads + kh) * t + j) * hd + d];
                        }
                        out[((bi * t + i) * heads + h) * hd + d] = acc;
                    }
                }
            }
        }
        return out;
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
