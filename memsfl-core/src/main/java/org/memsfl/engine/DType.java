package org.memsfl.engine;

import org.bytedeco.pytorch.global.torch;
import org.memsfl.util.BadInputException;

/** The tensor element types memsfl stores and reads: safetensors names, libtorch types and widths. */
public enum DType {
    F32("F32", torch.ScalarType.Float, 4),
    F16("F16", torch.ScalarType.Half, 2),
    BF16("BF16", torch.ScalarType.BFloat16, 2),
    F64("F64", torch.ScalarType.Double, 8),
    I64("I64", torch.ScalarType.Long, 8),
    I32("I32", torch.ScalarType.Int, 4),
    /** Signed bytes: the int8 wire format's values (with their per-token scales packed in, see {@code WireFormat}). */
    I8("I8", torch.ScalarType.Char, 1);

    private final String safetensorsName;
    private final torch.ScalarType scalarType;
    private final int bytes;

    DType(String safetensorsName, torch.ScalarType scalarType, int bytes) {
        this.safetensorsName = safetensorsName;
        this.scalarType = scalarType;
        this.bytes = bytes;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    public torch.ScalarType scalarType() {
        return scalarType;
    }

    public int bytes() {
        return bytes;
    }

    /** The name options and results use for a compute dtype: fp32, fp16, bf16 (others: the lower-case name). */
    public String optionName() {
        return switch (this) {
            case F32 -> "fp32";
            case F16 -> "fp16";
            case BF16 -> "bf16";
            default -> name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) {
                return d;
            }
        }
        throw new BadInputException("unsupported safetensors dtype '" + name + "'; expected one of F32, F16, BF16, F64, I64, I32, I8");
    }

    public static DType of(torch.ScalarType type) {
        // scalar_type() hands back a fresh enum object; intern() maps it to the constant
        torch.ScalarType t = type.intern();
        for (DType d : values()) {
            if (d.scalarType == t) {
                return d;
            }
        }
        throw new IllegalArgumentException("no memsfl dtype for libtorch type " + type);
    }

    /** Parses user spellings such as fp32, float32, bf16, fp16. */
    public static DType parse(String s) {
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32": case "fp32": case "float32": case "float": return F32;
            case "f16": case "fp16": case "float16": case "half": return F16;
            case "bf16": case "bfloat16": return BF16;
            // float64 stays internal (test oracles): no model or step of memsfl is meant to run in it
            default: throw new BadInputException(n -> n.of(org.memsfl.util.Setting.DTYPE) + ": unknown value '" + s
                    + "'; expected fp32, fp16 or bf16");
        }
    }
}
