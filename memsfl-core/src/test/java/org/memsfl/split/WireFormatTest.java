package org.memsfl.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.util.BadInputException;

/**
 * The wire formats against an independent plain-Java implementation: int8 per-token absmax computed with float32
 * arithmetic and round-half-even ({@link Math#rint}), which is what IEEE float32 division and libtorch's round do,
 * so the int8 values must agree exactly and the decoded values to the last bit. Byte counts are checked by hand.
 */
class WireFormatTest {

    static final int TOKENS = 6;
    static final int DIM = 40;

    @Test
    void int8MatchesAPlainJavaQuantizer() {
        float[] x = sample(3);
        try (NativeScope scope = new NativeScope()) {
            Tensor t = Tensors.fromFloats(x, 2, 3, DIM);
            WireFormat.Int8Tokens q = WireFormat.quantizeInt8(t);
            assertThat(Tensors.shape(q.values())).containsExactly(2, 3, DIM);
            assertThat(Tensors.shape(q.scales())).containsExactly(2, 3, 1);
            long[] values = Tensors.toLongs(q.values().to(DType.I64.scalarType()));
            float[] scales = Tensors.toFloats(q.scales());
            float[] decoded = Tensors.toFloats(WireFormat.INT8.roundTrip(t));
            for (int tok = 0; tok < TOKENS; tok++) {
                float absmax = 0;
                for (int i = 0; i < DIM; i++) {
                    absmax = Math.max(absmax, Math.abs(x[tok * DIM + i]));
                }
                float s = absmax / 127f;
                assertThat(scales[tok]).isEqualTo(s);
                for (int i = 0; i < DIM; i++) {
                    int k = tok * DIM + i;
                    long want = s == 0 ? 0 : (long) Math.max(-127, Math.min(127, Math.rint(x[k] / s)));
                    assertThat(values[k]).as("token %d element %d", tok, i).isEqualTo(want);
                    assertThat(decoded[k]).isEqualTo(want * s);
                    assertThat(Math.abs(decoded[k] - x[k])).isLessThanOrEqualTo(s / 2 * 1.0001f);
                }
            }
            // the all-zero token (token 4) travels as zeros with scale 0
            assertThat(scales[4]).isZero();
        }
    }

    /**
     * What the deployment sends for int8: per token the DIM values, then the float32 scale's four bytes
     * (little-endian), read back here byte by byte in plain Java; unpacking gives exactly {@link WireFormat#roundTrip}
     * (the simulator's values), and the packed tensor has exactly {@link WireFormat#bytes(long, long)} bytes.
     */
    @Test
    void packedInt8IsValuesThenTheScaleBytesAndUnpacksToTheRoundTrip() {
        float[] x = sample(7);
        try (NativeScope scope = new NativeScope()) {
            Tensor t = Tensors.fromFloats(x, 2, 3, DIM);
            Tensor packed = WireFormat.INT8.pack(t);
            assertThat(Tensors.shape(packed)).containsExactly(2, 3, DIM + 4);
            assertThat(DType.of(packed.scalar_type())).isEqualTo(DType.I8);
            assertThat(packed.numel()).isEqualTo(WireFormat.INT8.bytes(TOKENS, DIM));
            assertThat(WireFormat.INT8.packedShape(new long[] {2, 3, DIM})).containsExactly(2, 3, DIM + 4);
            assertThat(WireFormat.BF16.packedShape(new long[] {2, 3, DIM})).containsExactly(2, 3, DIM);
            long[] bytes = Tensors.toLongs(packed.to(DType.I64.scalarType()));
            for (int tok = 0; tok < TOKENS; tok++) {
                float absmax = 0;
                for (int i = 0; i < DIM; i++) {
                    absmax = Math.max(absmax, Math.abs(x[tok * DIM + i]));
                }
                float s = absmax / 127f;
                int row = tok * (DIM + 4);
                for (int i = 0; i < DIM; i++) {
                    long want = s == 0 ? 0 : (long) Math.max(-127, Math.min(127, Math.rint(x[tok * DIM + i] / s)));
                    assertThat(bytes[row + i]).as("token %d element %d", tok, i).isEqualTo(want);
                }
                int bits = 0;
                for (int b = 3; b >= 0; b--) {
                    bits = (bits << 8) | (int) (bytes[row + DIM + b] & 0xff);
                }
                assertThat(Float.intBitsToFloat(bits)).as("scale of token %d", tok).isEqualTo(s);
            }
            assertThat(Tensors.toFloats(WireFormat.unpackInt8(packed)))
                    .containsExactly(Tensors.toFloats(WireFormat.INT8.roundTrip(t)));
            assertThat(WireFormat.FP32.pack(t)).isSameAs(t);
            assertThat(WireFormat.of(DType.I8)).isEqualTo(WireFormat.INT8);
        }
    }

    @Test
    void floatFormatsRoundThroughTheirType() {
        float[] x = sample(5);
        try (NativeScope scope = new NativeScope()) {
            Tensor t = Tensors.fromFloats(x, TOKENS, DIM);
            assertThat(Tensors.toFloats(WireFormat.FP32.roundTrip(t))).containsExactly(x);
            float[] bf = Tensors.toFloats(WireFormat.BF16.roundTrip(t));
            float[] fp16 = Tensors.toFloats(WireFormat.FP16.roundTrip(t));
            for (int i = 0; i < x.length; i++) {
                // bf16 keeps 8 significant bits, fp16 11: relative error at most 2^-9 and 2^-12 (normal range)
                assertThat(Math.abs(bf[i] - x[i])).isLessThanOrEqualTo(Math.abs(x[i]) * 0x1p-8f);
                assertThat(Math.abs(fp16[i] - x[i])).isLessThanOrEqualTo(Math.abs(x[i]) * 0x1p-11f + 1e-7f);
                assertThat(bf[i]).isEqualTo(Float.intBitsToFloat(bf16Bits(x[i])));
            }
        }
    }

    @Test
    void bytesOnTheWire() {
        assertThat(WireFormat.FP32.bytes(512, 1024)).isEqualTo(512L * 1024 * 4);
        assertThat(WireFormat.BF16.bytes(512, 1024)).isEqualTo(512L * 1024 * 2);
        assertThat(WireFormat.FP16.bytes(512, 1024)).isEqualTo(512L * 1024 * 2);
        assertThat(WireFormat.INT8.bytes(512, 1024)).isEqualTo(512L * 1024 + 512 * 4);
        // about a quarter of fp32 at GPT-2-medium's width
        assertThat((double) WireFormat.INT8.bytes(512, 1024) / WireFormat.FP32.bytes(512, 1024)).isBetween(0.25, 0.251);
        try (NativeScope scope = new NativeScope()) {
            assertThat(WireFormat.INT8.bytes(Tensors.zeros(DType.F32.scalarType(), 2, 3, 8))).isEqualTo(6 * 8 + 6 * 4);
        }
    }

    @Test
    void parsesUserSpellingsAndNamesABadValue() {
        assertThat(WireFormat.parse("int8")).isEqualTo(WireFormat.INT8);
        assertThat(WireFormat.parse("BF16")).isEqualTo(WireFormat.BF16);
        assertThat(WireFormat.parse("float16")).isEqualTo(WireFormat.FP16);
        assertThat(WireFormat.of(DType.F32)).isEqualTo(WireFormat.FP32);
        // core names the setting by its API field; a caller names it its own way (the CLI: --wire-dtype)
        assertThatThrownBy(() -> WireFormat.parse("int4")).isInstanceOf(BadInputException.class)
                .hasMessage("'wire': unknown value 'int4'; expected fp32, fp16, bf16 or int8")
                .satisfies(e -> assertThat(((BadInputException) e).message(s -> "--wire-dtype"))
                        .isEqualTo("--wire-dtype: unknown value 'int4'; expected fp32, fp16, bf16 or int8"));
    }

    /** Token 4 all zero, token 5 with one large outlier, the rest Gaussian-like. */
    static float[] sample(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[TOKENS * DIM];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble(-1, 1) * (1 + r.nextDouble() * 3));
        }
        for (int i = 0; i < DIM; i++) {
            x[4 * DIM + i] = 0;
        }
        x[5 * DIM + 7] = 60f;
        return x;
    }

    /** float32 to bfloat16 bits, round to nearest even, as a float with the low 16 bits cleared (finite inputs). */
    static int bf16Bits(float f) {
        int b = Float.floatToRawIntBits(f);
        int rounding = 0x7fff + ((b >>> 16) & 1);
        return ((b + rounding) >>> 16) << 16;
    }
}
