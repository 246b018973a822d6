package org.memsfl.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.grpc.proto.WireDType;
import org.memsfl.split.WireFormat;

/**
 * Tensors to and from bounded {@link TensorChunk} messages (DESIGN.md section 7: never raise the message cap to fit a
 * tensor). Floating tensors travel as float32, float16 or bfloat16; integer tensors in their own type. Bytes are the
 * host's little-endian element bytes in row-major order.
 *
 * <p>Decoding validates every chunk on its own (name, dtype, shape and sizes repeated on each, index in order, no
 * chunk above the cap, no byte past the declared size, the declared size equal to the shape's) and the whole tensor
 * at the end (no NaN or Inf in floating data). Every violation is a {@code StatusRuntimeException} with status
 * {@code INVALID_ARGUMENT} and a description that names the tensor and what was wrong, never a stack trace.
 *
 * <p>Memory follows the bytes that arrived, never the size a sender declares: an assembler's buffer starts small and
 * grows (doubling, capped at the declared size) as chunks come in, so a header that declares a GiB but is followed by
 * nothing costs a few KiB. All assemblers of one codec also draw on one {@link #maxAssemblyBytes} budget (the edge
 * server's is shared by every stream of every device); a chunk that would exceed it is refused with
 * {@code RESOURCE_EXHAUSTED}, and {@link Assembler#close} gives back what an abandoned tensor held.
 */
public final class TensorCodec {

    /** 1 MiB: well under gRPC's default 4 MiB message cap with room for the header fields. */
    public static final int DEFAULT_MAX_CHUNK_BYTES = 1 << 20;
    /** 1 GiB: the largest tensor a receiver accepts by default (activations of a large batch at long context). */
    public static final long DEFAULT_MAX_TENSOR_BYTES = 1L << 30;
    /** 1 GiB: what the edge server assembles at once over all streams of all devices. */
    public static final long DEFAULT_MAX_ASSEMBLY_BYTES = 1L << 30;
    /** The most dimensions a tensor on the wire may have. */
    public static final int MAX_RANK = 8;

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            // the wire format is the host's element bytes; a big-endian host would need a byte swap here
            throw new ExceptionInInitializerError("memsfl's tensor wire format assumes a little-endian host");
        }
    }

    /** 64 KiB: an assembler's first buffer (or the declared size, when smaller). */
    static final int INITIAL_BUFFER_BYTES = 64 << 10;

    private final int maxChunkBytes;
    private final long maxTensorBytes;
    private final long maxAssemblyBytes;
    private final AtomicLong assembling = new AtomicLong();

    /**
     * @param maxChunkBytes  largest {@code data} of one chunk, sent or accepted, in [1, 4 MiB - 64 KiB]
     * @param maxTensorBytes largest tensor accepted, in [1, 2 GiB - 1] (a decoded tensor is one Java array)
     */
    public TensorCodec(int maxChunkBytes, long maxTensorBytes) {
        this(maxChunkBytes, maxTensorBytes, Long.MAX_VALUE);
    }

    /**
     * @param maxAssemblyBytes bytes all of this codec's assemblers may hold at once (buffers of tensors still
     *                         arriving), at least {@code maxChunkBytes}
     */
    public TensorCodec(int maxChunkBytes, long maxTensorBytes, long maxAssemblyBytes) {
        if (maxChunkBytes < 1 || maxChunkBytes > (4 << 20) - (64 << 10)) {
            throw new IllegalArgumentException("max chunk bytes must be in [1, " + ((4 << 20) - (64 << 10))
                    + "] (under gRPC's 4 MiB default message cap), got " + maxChunkBytes);
        }
        if (maxTensorBytes < 1 || maxTensorBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("max tensor bytes must be in [1, " + Integer.MAX_VALUE + "], got "
                    + maxTensorBytes);
        }
        if (maxAssemblyBytes < maxChunkBytes) {
            throw new IllegalArgumentException("max assembly bytes must be at least the chunk size " + maxChunkBytes
                    + ", got " + maxAssemblyBytes);
        }
        this.maxChunkBytes = maxChunkBytes;
        this.maxTensorBytes = maxTensorBytes;
        this.maxAssemblyBytes = maxAssemblyBytes;
    }

    /** 1 MiB chunks, 1 GiB tensors. */
    public static TensorCodec defaults() {
        return new TensorCodec(DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_TENSOR_BYTES);
    }

    public int maxChunkBytes() {
        return maxChunkBytes;
    }

    public long maxTensorBytes() {
        return maxTensorBytes;
    }

    /** The budget all assemblers of this codec share. */
    public long maxAssemblyBytes() {
        return maxAssemblyBytes;
    }

    /** Bytes the assemblers of this codec hold now (buffers of tensors still arriving). */
    public long assemblingBytes() {
        return assembling.get();
    }

    // ---------------------------------------------------------------- dtype mapping

    /** The wire enum of a memsfl dtype; F64 does not travel. */
    public static WireDType wire(DType d) {
        switch (d) {
            case F32: return WireDType.FLOAT32;
            case F16: return WireDType.FLOAT16;
            case BF16: return WireDType.BFLOAT16;
            case I64: return WireDType.INT64;
            case I32: return WireDType.INT32;
            case I8: return WireDType.INT8;
            default: throw new IllegalArgumentException("dtype " + d + " does not travel on the wire; use F32, F16, BF16,"
                    + " I64, I32 or I8");
        }
    }

    /** An assignment's wire format; INVALID_ARGUMENT for an element type that is none (e.g. INT64). */
    public static org.memsfl.split.WireFormat wireFormat(WireDType w) {
        DType d = dtype(w, "wire");
        try {
            return org.memsfl.split.WireFormat.of(d);
        } catch (IllegalArgumentException e) {
            throw invalid("the server's wire dtype " + w + " is not fp32, fp16, bf16 or int8");
        }
    }

    /** The memsfl dtype of a wire enum, or INVALID_ARGUMENT for unspecified or unknown values. */
    public static DType dtype(WireDType w, String tensor) {
        switch (w) {
            case FLOAT32: return DType.F32;
            case FLOAT16: return DType.F16;
            case BFLOAT16: return DType.BF16;
            case INT64: return DType.I64;
            case INT32: return DType.I32;
            case INT8: return DType.I8;
            default: throw invalid("tensor '" + tensor + "': dtype " + w + " is not one of FLOAT32, FLOAT16, BFLOAT16,"
                    + " INT64, INT32, INT8");
        }
    }

    static boolean floating(DType d) {
        return d == DType.F32 || d == DType.F16 || d == DType.BF16;
    }

    /** A {@code StatusRuntimeException} with INVALID_ARGUMENT and {@code description}. */
    public static StatusRuntimeException invalid(String description) {
        return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
    }

    // ---------------------------------------------------------------- encoding

    /**
     * The chunks of {@code t} in {@code wire}: a floating tensor in any floating wire type (rounded to nearest even
     * when narrowed), an integer tensor only in its own type.
     */
    public List<TensorChunk> encode(String name, Tensor t, DType wire) {
        return encodeAs(name, t, wire);
    }

    /**
     * The chunks of an activation or gradient (..., dim) in {@code wire}: narrowed to a floating format, or packed as
     * int8 with one scale per token (..., dim + 4) ({@link WireFormat#pack}).
     */
    public List<TensorChunk> encode(String name, Tensor t, WireFormat wire) {
        if (wire != WireFormat.INT8) {
            return encodeAs(name, t, wire.dtype());
        }
        try (NoGradGuard ng = new NoGradGuard(); NativeScope scope = new NativeScope()) {
            return encodeAs(name, wire.pack(t), DType.I8);
        }
    }

    private List<TensorChunk> encodeAs(String name, Tensor t, DType wire) {
        DType src = DType.of(t.scalar_type());
        boolean ok = floating(wire) ? floating(src) || src == DType.F64 : src == wire;
        if (!ok) {
            throw new IllegalArgumentException("tensor '" + name + "' of dtype " + src + " cannot travel as " + wire);
        }
        long[] shape = Tensors.shape(t);
        long bytes = checkedBytes(name, shape, wire);
        if (bytes > maxTensorBytes) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + bytes + " bytes in " + wire
                    + ", above the " + maxTensorBytes + "-byte limit");
        }
        byte[] data = new byte[(int) bytes];
        if (bytes > 0) {
            try (NoGradGuard ng = new NoGradGuard(); NativeScope scope = new NativeScope()) {
                Tensor c = t.detach().to(wire.scalarType()).contiguous();
                try (BytePointer p = new BytePointer(c.data_ptr())) {
                    p.capacity(bytes).asByteBuffer().get(data);
                }
            }
        }
        return chunks(name, wire, shape, data);
    }

    /** The chunks of a 1-D INT32 tensor holding {@code values}. */
    public List<TensorChunk> encodeInts(String name, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return chunks(name, DType.I32, new long[] {values.length}, b.array());
    }

    /** Cuts element bytes into chunks of at most the cap; an empty tensor is one empty chunk. */
    public List<TensorChunk> chunks(String name, DType dtype, long[] shape, byte[] data) {
        long expected = checkedBytes(name, shape, dtype);
        if (expected != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " in " + dtype
                    + " needs " + expected + " bytes, got " + data.length);
        }
        int count = Math.max(1, (int) ((data.length + (long) maxChunkBytes - 1) / maxChunkBytes));
        TensorChunk.Builder header = TensorChunk.newBuilder().setName(name).setDtype(wire(dtype))
                .setChunkCount(count).setTensorBytes(data.length);
        for (long d : shape) {
            header.addShape(d);
        }
        List<TensorChunk> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int from = i * maxChunkBytes;
            int len = Math.min(maxChunkBytes, data.length - from);
            // the array is never written again: wrapping avoids a second copy of every activation
            ByteString piece = len == 0 ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(data, from, len);
            out.add(header.clone().setChunkIndex(i).setData(piece).build());
        }
        return out;
    }

    /** Bytes on the wire of these chunks' data (tensor payload only, no framing). */
    public static long dataBytes(List<TensorChunk> chunks) {
        long n = 0;
        for (TensorChunk c : chunks) {
            n += c.getData().size();
        }
        return n;
    }

    static long checkedBytes(String name, long[] shape, DType dtype) {
        if (shape.length > MAX_RANK) {
            throw invalid("tensor '" + name + "' has " + shape.length + " dimensions; at most " + MAX_RANK + " allowed");
        }
        long n = dtype.bytes();
        for (long d : shape) {
            if (d < 0) {
                throw invalid("tensor '" + name + "' has negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw invalid("tensor '" + name + "' shape " + Arrays.toString(shape) + " overflows a byte count");
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- decoding

    /** A fresh assembler for one tensor's chunks, drawing on this codec's assembly budget. */
    public TensorAssembler assembler() {
        return new TensorAssembler(this, assembling);
    }

    static long[] shapeOf(TensorChunk c) {
        long[] s = new long[c.getShapeCount()];
        for (int i = 0; i < s.length; i++) {
            s[i] = c.getShape(i);
        }
        return s;
    }

    /**
     * A complete tensor as received: name, element type, shape and little-endian element bytes.
     *
     * @param data exactly {@code numel * dtype.bytes()} bytes
     */
    public record Decoded(String name, DType dtype, long[] shape, byte[] data) {

        public long numel() {
            return data.length / dtype.bytes();
        }

        /** Throws INVALID_ARGUMENT unless the shape equals {@code expected} (-1 matches any size). */
        public Decoded requireShape(String what, long... expected) {
            boolean ok = shape.length == expected.length;
            for (int i = 0; ok && i < expected.length; i++) {
                ok = expected[i] < 0 || expected[i] == shape[i];
            }
            if (!ok) {
                throw invalid(what + " '" + name + "' has shape " + Arrays.toString(shape) + ", expected "
                        + Arrays.toString(expected).replace("-1", "*"));
            }
            return this;
        }

        /** Throws INVALID_ARGUMENT unless the element type is one of {@code allowed}. */
        public Decoded requireDtype(String what, DType... allowed) {
            for (DType d : allowed) {
                if (d == dtype) {
                    return this;
                }
            }
            throw invalid(what + " '" + name + "' has dtype " + dtype + ", expected " + Arrays.toString(allowed));
        }

        /**
         * A float32 tensor owned by the caller (who closes it), widened from the wire type; INVALID_ARGUMENT for an
         * integer tensor or for any NaN or Inf.
         */
        public Tensor toFloat32() {
            if (!floating(dtype)) {
                throw invalid("tensor '" + name + "' has dtype " + dtype + "; a floating tensor was expected");
            }
            Engine.init();
            try (NoGradGuard ng = new NoGradGuard(); NativeScope scope = new NativeScope()) {
                Tensor raw = raw();
                Tensor f = dtype == DType.F32 ? raw : raw.to(torch.ScalarType.Float);
                if (!torch.isfinite(f).all().item().toBool()) {
                    throw invalid("tensor '" + name + "' contains NaN or Inf");
                }
                return scope.keep(f);
            }
        }

        /**
         * The float32 (..., dim) tensor an activation or gradient in {@code wire} carries, owned by the caller: a
         * floating tensor widened ({@link #toFloat32}), or a packed int8 one (..., dim + 4) dequantized per token
         * ({@link WireFormat#unpackInt8}); INVALID_ARGUMENT for another element type or any NaN or Inf.
         */
        public Tensor toFloat32(WireFormat wire) {
            requireDtype("tensor", wire.dtype());
            if (wire != WireFormat.INT8) {
                return toFloat32();
            }
            if (shape.length == 0 || shape[shape.length - 1] < WireFormat.SCALE_BYTES) {
                throw invalid("tensor '" + name + "' in int8 has shape " + Arrays.toString(shape) + "; each token needs"
                        + " its values and a " + WireFormat.SCALE_BYTES + "-byte scale");
            }
            Engine.init();
            try (NoGradGuard ng = new NoGradGuard(); NativeScope scope = new NativeScope()) {
                Tensor f = WireFormat.unpackInt8(raw());
                if (!torch.isfinite(f).all().item().toBool()) {
                    throw invalid("tensor '" + name + "' has a NaN or Inf scale");
                }
                return scope.keep(f);
            }
        }

        /** An int64 tensor owned by the caller; INVALID_ARGUMENT unless the wire type is INT64. */
        public Tensor toInt64() {
            requireDtype("tensor", DType.I64);
            Engine.init();
            try (NativeScope scope = new NativeScope()) {
                return scope.keep(raw());
            }
        }

        /** The values of an INT32 tensor. */
        public int[] toInts() {
            requireDtype("tensor", DType.I32);
            int[] out = new int[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
            return out;
        }

        /** The values of an INT64 tensor. */
        public long[] toLongs() {
            requireDtype("tensor", DType.I64);
            long[] out = new long[data.length / 8];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }

        /** A tensor of the wire dtype holding a copy of the bytes (attached to the caller's scope, if any). */
        private Tensor raw() {
            Tensor t;
            try (TensorOptions opts = new TensorOptions(dtype.scalarType());
                 MemoryFormatOptional fmt = new MemoryFormatOptional()) {
                t = torch.empty(shape, opts, fmt);
            }
            if (data.length > 0) {
                try (BytePointer p = new BytePointer(t.data_ptr())) {
                    p.capacity(data.length).asByteBuffer().put(data);
                }
            }
            return t;
        }

        @Override
        public String toString() {
            return "Decoded[" + name + ", " + dtype + ", " + Arrays.toString(shape) + ", " + data.length + " bytes]";
        }
    }
}
