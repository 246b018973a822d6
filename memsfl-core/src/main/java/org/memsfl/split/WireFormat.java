package org.memsfl.split;

import java.util.Locale;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Setting;

/**
 * How the cut-layer activations and their gradient travel between a device and the server: float32, float16,
 * bfloat16 (rounded to nearest even), or int8 with one float32 scale per token. The int8 form is symmetric absmax
 * quantization along the hidden dimension, as LLM.int8() (Dettmers et al., 2022) does per row: each token's vector
 * {@code x} (d elements) travels as {@code q = round(x / s)} in [-127, 127] with {@code s = max|x| / 127}, and
 * arrives as {@code q * s}; the error of each element is at most {@code s / 2}. A token whose vector is all zero
 * gets {@code s = 0} and arrives as zeros.
 *
 * <p>The simulator passes every payload through {@link #roundTrip} so that it trains on what the deployment's receiver
 * decodes; the deployment sends {@link #pack} and decodes with {@link #unpack}, which give exactly the values of
 * {@code roundTrip}, and counts the same bytes ({@link #bytes(long, long)}). On the wire an int8 (..., dim) tensor
 * travels packed as (..., dim + 4) signed bytes: each token's dim values, then its float32 scale's four bytes in the
 * host's (little-endian) order.
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

    /** The element type of what travels ({@link #pack}): the floating type, or {@link DType#I8} for int8. */
    public DType dtype() {
        return this == INT8 ? DType.I8 : floatType;
    }

    /** The shape of what travels for a (..., dim) tensor: the same, or (..., dim + 4) for int8. */
    public long[] packedShape(long[] shape) {
        long[] out = shape.clone();
        if (this == INT8) {
            out[out.length - 1] += SCALE_BYTES;
        }
        return out;
    }

    /**
     * What travels for {@code x}: for a floating format {@code x} itself (the codec narrows it); for int8 a new
     * (..., dim + 4) int8 tensor, each token's quantized values followed by its scale's bytes.
     *
     * @param x (..., dim) floating
     */
    public Tensor pack(Tensor x) {
        if (this != INT8) {
            return x;
        }
        try (NativeScope scope = new NativeScope()) {
            Int8Tokens q = quantizeInt8(x);
            Tensor scaleBytes = q.scales().view(torch.ScalarType.Char);             // (..., 4)
            return scope.escape(torch.cat(new org.bytedeco.pytorch.TensorVector(q.values(), scaleBytes), -1)
                    .contiguous());
        }
    }

    /**
     * The inverse of {@link #pack} for int8: (..., dim + 4) int8 to (..., dim) float32, {@code values * scale} per
     * token, exactly what {@link #roundTrip} gives in float32.
     *
     * @param packed (..., dim + 4) int8
     */
    public static Tensor unpackInt8(Tensor packed) {
        long last = packed.size(packed.dim() - 1);
        if (last < SCALE_BYTES) {
            throw new IllegalArgumentException("a packed int8 tensor needs at least " + SCALE_BYTES
                    + " bytes per token, got " + last);
        }
        try (NativeScope scope = new NativeScope()) {
            long dim = last - SCALE_BYTES;
            Tensor values = packed.narrow(-1, 0, dim);                                  // (..., dim)
            Tensor scales = packed.narrow(-1, dim, SCALE_BYTES).contiguous().view(torch.ScalarType.Float); // (..., 1)
            return scope.escape(new Int8Tokens(values, scales).dequantize());
        }
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
            default: throw new BadInputException(n -> n.of(Setting.WIRE_DTYPE) + ": unknown value '" + s
                    + "'; expected fp32, fp16, bf16 or int8");
        }
    }

    /** The wire format whose values travel as {@code d} (F32, F16, BF16, or I8 for int8). */
    public static WireFormat of(DType d) {
        for (WireFormat w : values()) {
            if (w.dtype() == d) {
                return w;
            }
        }
        throw new IllegalArgumentException("dtype " + d + " is not a wire format; use F32, F16, BF16 or I8");
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
