package org.memsfl.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.util.BadInputException;

/**
 * int8 and NF4 storage against independent plain-Java implementations written here from the papers' definitions
 * (LLM.int8() vector-wise absmax; QLoRA's NF4 with block-wise absmax and double quantization).
 *
 * <p>Tolerances. The int8 codes, the NF4 codes and the first-level absmax depend only on exact float32 operations
 * (max, one division, a comparison, round-half-even), so they must agree exactly. The NF4 offset is a float32 mean,
 * whose summation order differs between libtorch and this loop by a few ulps; so the double-quantized absmax and the
 * weights read back are compared at 1e-5 relative to the block's absmax, far below the format's own error (a level
 * gap is 0.08 to 0.28 of the absmax), which is checked as a bound.
 */
class QuantRoundTripTest {

    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({"7, 33", "64, 48", "3, 5"})
    void int8MatchesAPlainJavaQuantizer(int rows, int cols) {
        float[] w = weights(rows, cols, 1);
        try (NativeScope scope = new NativeScope()) {
            Int8Weight q = Int8Weight.quantize(Tensors.fromFloats(w, rows, cols));
            long[] values = Tensors.toLongs(q.values().to(torch.ScalarType.Long));
            float[] scales = Tensors.toFloats(q.scales());
            float[] back = Tensors.toFloats(q.dequantize(torch.ScalarType.Float));
            for (int r = 0; r < rows; r++) {
                float absmax = 0;
                for (int c = 0; c < cols; c++) {
                    absmax = Math.max(absmax, Math.abs(w[r * cols + c]));
                }
                float s = absmax / 127f;
                assertThat(scales[r]).isEqualTo(s);
                for (int c = 0; c < cols; c++) {
                    int k = r * cols + c;
                    long want = s == 0 ? 0 : (long) Math.max(-127, Math.min(127, Math.rint(w[k] / s)));
                    assertThat(values[k]).as("row %d col %d", r, c).isEqualTo(want);
                    assertThat(back[k]).isEqualTo(want * s);
                    assertThat(Math.abs(back[k] - w[k])).isLessThanOrEqualTo(s / 2 * 1.0001f);
                }
            }
            assertThat(q.bytes()).isEqualTo((long) rows * cols + 4L * rows).isEqualTo(WeightStorage.INT8.bytes(rows, cols));
        }
    }

    /** The 16 NF4 levels follow from QLoRA's construction: normal quantiles at offset 0.9677083, normalised. */
    @Test
    void nf4LevelsAreTheNormalQuantilesOfTheConstruction() {
        double delta = 0.9677083;
        double[] want = new double[16];
        double top = inverseNormal(delta);
        // 8 positive levels from 8 of 9 evenly spaced probabilities in [0.5, delta], 7 negative from 7 of 8, and zero
        for (int i = 0; i < 8; i++) {
            want[15 - i] = inverseNormal(delta - i * (delta - 0.5) / 8) / top;
        }
        for (int i = 0; i < 7; i++) {
            want[i] = -inverseNormal(delta - i * (delta - 0.5) / 7) / top;
        }
        want[7] = 0;
        for (int i = 0; i < 16; i++) {
            assertThat((double) Nf4Weight.LEVELS[i]).as("level %d", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({"64, 48", "5, 37", "300, 64"})
    void nf4MatchesAPlainJavaQuantizer(int rows, int cols) {
        float[] w = weights(rows, cols, 2);
        int n = rows * cols;
        int blocks = (n + 63) / 64;
        try (NativeScope scope = new NativeScope()) {
            Nf4Weight q = Nf4Weight.quantize(Tensors.fromFloats(w, rows, cols));
            long[] packed = Tensors.toLongs(q.codes().to(torch.ScalarType.Long));
            float[] absmaxBack = Tensors.toFloats(q.absmax());
            float[] back = Tensors.toFloats(q.dequantize(torch.ScalarType.Float));
            assertThat(packed).hasSize(blocks * 32);
            float[] mids = new float[15];
            for (int i = 0; i < 15; i++) {
                mids[i] = (Nf4Weight.LEVELS[i] + Nf4Weight.LEVELS[i + 1]) / 2f;
            }
            double offset = 0;
            float[] absmax = new float[blocks];
            for (int b = 0; b < blocks; b++) {
                for (int i = b * 64; i < Math.min(n, (b + 1) * 64); i++) {
                    absmax[b] = Math.max(absmax[b], Math.abs(w[i]));
                }
                offset += absmax[b];
            }
            offset /= blocks;
            // second level: (absmax - offset) in blocks of 256, symmetric int8
            double[] absmaxWant = new double[blocks];
            for (int b2 = 0; b2 * 256 < blocks; b2++) {
                double m = 0;
                for (int b = b2 * 256; b < Math.min(blocks, (b2 + 1) * 256); b++) {
                    m = Math.max(m, Math.abs(absmax[b] - offset));
                }
                double s2 = m / 127;
                for (int b = b2 * 256; b < Math.min(blocks, (b2 + 1) * 256); b++) {
                    absmaxWant[b] = (s2 == 0 ? 0 : Math.rint((absmax[b] - offset) / s2) * s2) + offset;
                }
            }
            for (int b = 0; b < blocks; b++) {
                assertThat((double) absmaxBack[b]).as("absmax of block %d", b)
                        .isCloseTo(absmaxWant[b], org.assertj.core.data.Offset.offset(1e-5 * absmax[b] + 1e-9));
            }
            for (int i = 0; i < blocks * 64; i++) {
                float x = i < n ? w[i] : 0f;
                float v = absmax[i / 64] == 0 ? 0f : x / absmax[i / 64];
                int code = 0;
                while (code < 15 && mids[code] < v) {
                    code++;
                }
                long nibble = i % 2 == 0 ? packed[i / 2] / 16 : packed[i / 2] % 16;
                assertThat(nibble).as("code of element %d", i).isEqualTo(code);
                if (i < n) {
                    double want = Nf4Weight.LEVELS[code] * absmaxWant[i / 64];
                    assertThat((double) back[i]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5 * absmax[i / 64] + 1e-9));
                    // the format's own error: half the widest level gap (-1 to -0.696: 0.1519) of the exact
                    // absmax, plus the absmax's second-level error as read back
                    assertThat((double) Math.abs(back[i] - w[i])).as("error of element %d", i).isLessThanOrEqualTo(
                            0.152 * absmax[i / 64] + Math.abs(absmaxBack[i / 64] - absmax[i / 64]) + 1e-7);
                }
            }
            assertThat(q.bytes()).isEqualTo(Nf4Weight.bytes(n)).isEqualTo(WeightStorage.NF4.bytes(rows, cols));
        }
    }

    @Test
    void storageSizesAndBitsPerWeight() {
        assertThat(WeightStorage.FP32.bytes(1024, 4096)).isEqualTo(16L << 20);
        assertThat(WeightStorage.BF16.bytes(1024, 4096)).isEqualTo(8L << 20);
        assertThat(WeightStorage.INT8.bytes(1024, 4096)).isEqualTo((4L << 20) + 4096);
        // QLoRA: 4 + 8/64 + 32/(64*256) = 4.127 bits per weight
        assertThat(WeightStorage.NF4.bitsPerWeight(1024, 4096)).isCloseTo(4.127, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(WeightStorage.parse("NF4")).isEqualTo(WeightStorage.NF4);
        assertThatThrownBy(() -> WeightStorage.parse("int4")).isInstanceOf(BadInputException.class)
                .hasMessage("'deviceWeights': unknown value 'int4'; expected fp32, bf16, int8 or nf4");
    }

    @Test
    void bf16AndFp32StorageAreCasts() {
        float[] w = weights(4, 8, 3);
        try (NativeScope scope = new NativeScope()) {
            Tensor t = Tensors.fromFloats(w, 4, 8);
            assertThat(Tensors.toFloats(WeightStorage.FP32.quantize(t).dequantize(torch.ScalarType.Float))).containsExactly(w);
            QuantizedWeight bf = WeightStorage.BF16.quantize(t);
            assertThat(bf.bytes()).isEqualTo(64);
            assertThat(Tensors.toFloats(bf.dequantize(torch.ScalarType.Float)))
                    .containsExactly(Tensors.toFloats(t.to(torch.ScalarType.BFloat16).to(torch.ScalarType.Float)));
        }
    }

    @Test
    void dequantizingReturnsAFreshTensorAndLeavesTheStoredValuesAlone() {
        float[] w = weights(4, 8, 5);
        try (NativeScope scope = new NativeScope()) {
            Tensor t = Tensors.fromFloats(w, 4, 8);
            for (WeightStorage ws : WeightStorage.values()) {
                QuantizedWeight q = ws.quantize(t);
                for (torch.ScalarType type : new torch.ScalarType[] {torch.ScalarType.Float, torch.ScalarType.BFloat16}) {
                    float[] first = Tensors.toFloats(q.dequantize(type).to(torch.ScalarType.Float));
                    q.dequantize(type).fill_(new org.bytedeco.pytorch.Scalar(7.0)); // the caller owns what it gets
                    assertThat(Tensors.toFloats(q.dequantize(type).to(torch.ScalarType.Float)))
                            .as("%s to %s", ws, type).containsExactly(first);
                }
            }
        }
    }

    @Test
    void dequantizationWorkspaceIsCountedByHand() {
        // 1024 x 4096 = 65536 blocks of 64: 4 bytes of absmax each, and one pass of 2^14 blocks at 512 bytes a block
        // (32 int64 code indices + 64 float32 levels)
        assertThat(WeightStorage.NF4.dequantizeWorkspaceBytes(1024, 4096)).isEqualTo(4L * 65536 + 512L * 16384);
        assertThat(WeightStorage.NF4.dequantizeWorkspaceBytes(1, 64)).isEqualTo(4 + 512);
        assertThat(WeightStorage.INT8.dequantizeWorkspaceBytes(1024, 4096)).isZero();
        assertThat(WeightStorage.BF16.dequantizeWorkspaceBytes(1024, 4096)).isZero();
    }

    /** Gaussian-like weights with one outlier and one all-zero stretch (a zero block where the shape has one). */
    static float[] weights(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (0.02 * (r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5) * 2);
        }
        w[w.length / 3] = 0.5f;
        for (int i = 0; i < Math.min(64, w.length / 4); i++) {
            w[w.length - 1 - i] = 0;
        }
        return w;
    }

    /** Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9). */
    static double inverseNormal(double p) {
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        double pLow = 0.02425;
        if (p < pLow) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - pLow) {
            return -inverseNormal(1 - p);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
