package org.memsfl.quant;

import java.util.Locale;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Setting;

/**
 * How a device stores the frozen linear weights of its layers ({@code --device-weights}). Embeddings, norms and
 * biases stay in float32 in every form, as in QLoRA; only the layers' 2-D projection weights change.
 */
public enum WeightStorage {
    FP32("fp32"),
    BF16("bf16"),
    /** One int8 per weight and one float32 absmax scale per output channel (row). */
    INT8("int8"),
    /**
     * 4-bit NormalFloat codes in blocks of {@link Nf4Weight#BLOCK}, each block's absmax quantized again to int8 in
     * blocks of {@link Nf4Weight#ABSMAX_BLOCK} with one float32 scale each and one float32 mean offset.
     */
    NF4("nf4");

    private final String id;

    WeightStorage(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static WeightStorage parse(String s) {
        for (WeightStorage w : values()) {
            if (w.id.equalsIgnoreCase(s == null ? "" : s.trim())) {
                return w;
            }
        }
        throw new BadInputException(n -> n.of(Setting.DEVICE_WEIGHTS) + ": unknown value '" + s
                + "'; expected fp32, bf16, int8 or nf4");
    }

    /** Bytes this form takes for a (rows, cols) linear weight, scales and constants included. */
    public long bytes(long rows, long cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("rows and cols must be >= 0, got " + rows + ", " + cols);
        }
        long n = rows * cols;
        return switch (this) {
            case FP32 -> 4 * n;
            case BF16 -> 2 * n;
            case INT8 -> n + 4 * rows;
            case NF4 -> Nf4Weight.bytes(n);
        };
    }

    /**
     * Bytes one dequantization of a (rows, cols) weight holds besides its float output: NF4's per-pass code indices
     * and levels ({@link Nf4Weight#dequantizeWorkspaceBytes}); nothing for the others (a cast is its output, int8 scales
     * its one float copy in place).
     */
    public long dequantizeWorkspaceBytes(long rows, long cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("rows and cols must be >= 0, got " + rows + ", " + cols);
        }
        return this == NF4 ? Nf4Weight.dequantizeWorkspaceBytes(rows * cols) : 0;
    }

    /** Bits per weight of this form for a (rows, cols) weight, for explanations. */
    public double bitsPerWeight(long rows, long cols) {
        return rows * cols == 0 ? 0 : 8.0 * bytes(rows, cols) / (rows * cols);
    }

    /** Quantizes (or casts) a (rows, cols) float weight into this form. */
    public QuantizedWeight quantize(Tensor w) {
        return switch (this) {
            case FP32 -> CastWeight.of(w, org.memsfl.engine.DType.F32);
            case BF16 -> CastWeight.of(w, org.memsfl.engine.DType.BF16);
            case INT8 -> Int8Weight.quantize(w);
            case NF4 -> Nf4Weight.quantize(w);
        };
    }

    @Override
    public String toString() {
        return id.toUpperCase(Locale.ROOT);
    }
}
