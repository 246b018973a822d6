package org.memsfl.split;

import java.util.Locale;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.util.BadInputException;

/**
 * How the cut-layer activations and their gradient travel between a device and the server: float32, float16,
 * bfloat16 (rounded to nearest even), or int8 with one float32 scale per token. The int8 form is symmetric absmax
 * quantization along the hidden dimension, as LLM.int8() (Dettmers et al., 2022) does per row: each token's vector
 * {@code x} (d elements) travels as {@code q = round(x / s)} in [-127, 127] with {@code s = max|x| / 127}, and
 * arrives as {@code q * s}; the error of each element is at most {@code s / 2}. A token whose vector is all zero
 * gets {@code s = 0} and arrives as zeros.
 *
 * <p>The simulator passes every payload through {@link #roundTrip} so that it trains on what the deployment's receiver
 * decodes; the deployment encodes with {@link #quantizeInt8} / the codec's float types and counts the same bytes.
 */
public enum WireFormat {
    FP32("fp32", DType.F32),
    FP16("fp16", DType.F16),
    BF16("bf16", DType.BF16),
    INT8("int8", null);

    /** Bytes of each token's scale in the int8 form (float32). */
    public static final int SCALE_BYTES = 4;

    private final String id;
    private final DType floatType;

    WireFormat(String id, DType floatType) {
        this.id = id;
        this.floatType = floatType;
    }

    public String id() {
        return id;
    }

    /** Bytes per element on the wire: 4, 2, or 1 for int8 (whose per-token scale is extra). */
    public int elementBytes() {
        return this == INT8 ? 1 : floatType.bytes();
    }

    /** The floating type the values travel in, or null for int8. */
    public DType floatType() {
        return floatType;
    }

    /** Parses fp32, fp16, bf16, int8 (and float32, float16, bfloat16); a clear error names the value otherwise. */
    public static WireFormat parse(String s) {
        String v = s == null ? "" : s.toLowerCase(Locale.ROOT);
        switch (v) {
            case "fp32": case "f32": case "float32": return FP32;
            case "fp16": case "f16": case "float16": return FP16;
            case "bf16": case "bfloat16": return BF16;
            case "int8": case "i8": return INT8;
            default: throw new BadInputException("--wire-dtype: unknown value '" + s + "'; expected fp32, fp16, bf16 or int8");
        }
    }

    /** The wire format that carries floats in {@code d} (F32, F16, BF16). */
    public static WireFormat of(DType d) {
        for (WireFormat w : values()) {
            if (w.floatType == d) {
                return w;
            }
        }
        throw new IllegalArgumentException("dtype " + d + " is not a wire format; use F32, F16 or BF16");
    }

    /**
     * Bytes of a (tokens, dim) hidden-state tensor on the wire: {@code tokens * dim * width}, and for int8 one byte per
     * element plus {@link #SCALE_BYTES} per token.
     */
    public long bytes(long tokens, long dim) {
        if (tokens < 0 || dim < 0) {
            throw new IllegalArgumentException("tokens and dim must be >= 0, got " + tokens + ", " + dim);
        }
        return this == INT8 ? tokens * dim + tokens * SCALE_BYTES : tokens * dim * floatType.bytes();
    }

    /** {@link #bytes(long, long)} of a (..., dim) tensor. */
    public long bytes(Tensor hidden) {
        long dim = hidden.size(hidden.dim() - 1);
        return bytes(dim == 0 ? 0 : hidden.numel() / dim, dim);
    }

    /**
     * What the receiver decodes from {@code x}: the values rounded through the wire type, returned in {@code x}'s
     * dtype, detached. For FP32 of a float32 tensor this is a detached copy.
     *
     * @param x (..., dim) floating
     */
    public Tensor roundTrip(Tensor x) {
        if (this == INT8) {
            try (NativeScope scope = new NativeScope()) {
                Int8Tokens q = quantizeInt8(x);
                return scope.escape(q.dequantize().to(x.scalar_type()));
            }
        }
        return x.detach().to(floatType.scalarType()).to(x.scalar_type()).clone();
    }

    /**
     * One int8 per element and one scale per token.
     *
     * @param values (..., dim) int8
     * @param scales (..., 1) float32, {@code max|x| / 127} of each token (0 for an all-zero token)
     */
    public record Int8Tokens(Tensor values, Tensor scales) {

        /** (..., dim) float32: {@code values * scales}. */
        public Tensor dequantize() {
            return values.to(torch.ScalarType.Float).mul(scales);
        }
    }

    /**
     * Symmetric per-token absmax quantization of {@code x} (computed in float32).
     *
     * @param x (..., dim) floating
     */
    public static Int8Tokens quantizeInt8(Tensor x) {
        try (NativeScope scope = new NativeScope()) {
            Tensor f = x.detach().to(torch.ScalarType.Float);
            Tensor absmax = f.abs().amax(new long[] {-1}, true);              // (..., 1)
            Tensor scales = absmax.div(Tensors.scalar(127.0));                 // (..., 1)
            Tensor safe = torch.where(scales.gt(Tensors.scalar(0)), scales, torch.ones_like(scales));
            Tensor q = f.div(safe).round().clamp(new org.bytedeco.pytorch.ScalarOptional(Tensors.scalar(-127)),
                    new org.bytedeco.pytorch.ScalarOptional(Tensors.scalar(127))).to(torch.ScalarType.Char);
            return new Int8Tokens(scope.escape(q), scope.escape(scales.contiguous()));
        }
    }
}
