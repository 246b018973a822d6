package org.memsfl.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.memsfl.engine.DType;
import org.memsfl.grpc.proto.TensorChunk;

/**
 * Collects the chunks of one tensor. Not thread-safe: one stream feeds one assembler (gRPC delivers a call's
 * messages one at a time). Close it when its stream ends early, to give its buffer back to the codec's budget.
 */
public final class TensorAssembler implements AutoCloseable {

    private final TensorCodec codec;
    private final AtomicLong assembling;

    TensorAssembler(TensorCodec codec, AtomicLong assembling) {
        this.codec = codec;
        this.assembling = assembling;
    }

    private TensorChunk first;
    private byte[] buffer;
    private int declared;
    private int filled;
    private int nextIndex;

    /** True once a chunk has arrived and the tensor is not complete. */
    public boolean inProgress() {
        return first != null;
    }

    /**
     * Takes the next chunk; returns the tensor when this chunk completes it, else null. After a completed tensor
     * the assembler is ready for the next one.
     *
     * @throws StatusRuntimeException INVALID_ARGUMENT for any malformed, out-of-order, oversize or inconsistent
     *         chunk
     */
    public TensorCodec.Decoded accept(TensorChunk c) {
        String name = c.getName();
        if (name.isEmpty()) {
            throw TensorCodec.invalid("tensor chunk without a name");
        }
        if (first == null) {
            start(c);
        } else {
            sameHeader(c);
        }
        if (c.getChunkIndex() != nextIndex) {
            throw TensorCodec.invalid("tensor '" + name + "': chunk " + c.getChunkIndex() + " arrived where chunk " + nextIndex
                    + " of " + first.getChunkCount() + " was expected");
        }
        int len = c.getData().size();
        if (len > codec.maxChunkBytes()) {
            throw TensorCodec.invalid("tensor '" + name + "': chunk " + nextIndex + " carries " + len + " bytes, above the "
                    + codec.maxChunkBytes() + "-byte chunk limit");
        }
        if ((long) filled + len > declared) {
            throw TensorCodec.invalid("tensor '" + name + "': chunk " + nextIndex + " brings the data to " + ((long) filled + len)
                    + " bytes, past the declared " + declared);
        }
        ensure(filled + len);
        c.getData().copyTo(buffer, filled);
        filled += len;
        nextIndex++;
        if (nextIndex < first.getChunkCount()) {
            return null;
        }
        if (filled != declared) {
            throw TensorCodec.invalid("tensor '" + name + "' is truncated: its " + first.getChunkCount() + " chunks carry "
                    + filled + " of the declared " + declared + " bytes");
        }
        TensorCodec.Decoded d = new TensorCodec.Decoded(name, TensorCodec.dtype(first.getDtype(), name), TensorCodec.shapeOf(first), buffer);
        close();
        return d;
    }

    /** Grows the buffer to hold {@code need} bytes: doubling, never past the declared size, within the budget. */
    private void ensure(int need) {
        int have = buffer == null ? 0 : buffer.length;
        if (need <= have) {
            return;
        }
        int grown = (int) Math.min(declared, Math.max((long) need, Math.max(TensorCodec.INITIAL_BUFFER_BYTES, 2L * have)));
        long extra = grown - have;
        if (assembling.addAndGet(extra) > codec.maxAssemblyBytes()) {
            assembling.addAndGet(-extra);
            throw Status.RESOURCE_EXHAUSTED.withDescription("tensor '" + first.getName() + "': the server is"
                    + " assembling " + assembling.get() + " bytes, its limit is " + codec.maxAssemblyBytes() + "; retry later")
                    .asRuntimeException();
        }
        buffer = buffer == null ? new byte[grown] : Arrays.copyOf(buffer, grown);
    }

    /** Drops a tensor in progress (if any) and gives its buffer back to the codec's budget; idempotent. */
    @Override
    public void close() {
        if (buffer != null) {
            assembling.addAndGet(-buffer.length);
        }
        first = null;
        buffer = null;
        declared = 0;
        filled = 0;
        nextIndex = 0;
    }

    /** Called at the end of a stream: a tensor still in progress is truncated. */
    public void requireIdle() {
        if (first != null) {
            throw TensorCodec.invalid("tensor '" + first.getName() + "' is truncated: the stream ended after " + nextIndex + " of "
                    + first.getChunkCount() + " chunks");
        }
    }

    private void start(TensorChunk c) {
        String name = c.getName();
        DType dt = TensorCodec.dtype(c.getDtype(), name);
        long[] shape = TensorCodec.shapeOf(c);
        long bytes = TensorCodec.checkedBytes(name, shape, dt);
        if (bytes != c.getTensorBytes()) {
            throw TensorCodec.invalid("tensor '" + name + "': shape " + Arrays.toString(shape) + " in " + dt + " is " + bytes
                    + " bytes but the chunk declares " + Long.toUnsignedString(c.getTensorBytes()));
        }
        if (bytes > codec.maxTensorBytes()) {
            throw TensorCodec.invalid("tensor '" + name + "' is " + bytes + " bytes, above the " + codec.maxTensorBytes()
                    + "-byte tensor limit");
        }
        long minChunks = Math.max(1, (bytes + codec.maxChunkBytes() - 1) / codec.maxChunkBytes());
        long count = Integer.toUnsignedLong(c.getChunkCount());
        // at least enough chunks to carry the bytes under the cap, at most one per byte (plus one for empty data)
        if (count < minChunks || count > Math.max(1, bytes)) {
            throw TensorCodec.invalid("tensor '" + name + "': " + count + " chunks cannot carry " + bytes + " bytes with at most "
                    + codec.maxChunkBytes() + " per chunk (expected " + minChunks + " to " + Math.max(1, bytes) + ")");
        }
        first = c.toBuilder().clearData().build();
        declared = (int) bytes;
        buffer = null;
        if (bytes == 0) {
            buffer = new byte[0];
        }
    }

    private void sameHeader(TensorChunk c) {
        boolean same = c.getName().equals(first.getName()) && c.getDtype() == first.getDtype()
                && c.getShapeList().equals(first.getShapeList()) && c.getChunkCount() == first.getChunkCount()
                && c.getTensorBytes() == first.getTensorBytes();
        if (!same) {
            throw TensorCodec.invalid("tensor '" + first.getName() + "': chunk " + c.getChunkIndex() + " (tensor '" + c.getName()
                    + "', " + c.getDtype() + ", shape " + c.getShapeList() + ") disagrees with the header of chunk 0 ("
                    + first.getDtype() + ", shape " + first.getShapeList() + ", " + first.getChunkCount()
                    + " chunks); tensors must not interleave");
        }
    }
}
