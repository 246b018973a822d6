package org.memsfl.grpc;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.memsfl.grpc.proto.TensorChunk;

/**
 * Collects a known number of whole tensors from one stream, one after another (their chunks must not interleave):
 * the three tensors of a local step, or the adapter tensors of an upload. Not thread-safe: one stream feeds it.
 */
final class TensorGroup implements AutoCloseable {

    private final String what;
    private final int count;
    private final Set<String> names;
    private final Map<String, long[]> maxShapes;
    private final TensorAssembler assembler;
    private final Map<String, TensorCodec.Decoded> done = new LinkedHashMap<>();

    /**
     * @param what  for messages, e.g. "local step 3"
     * @param count tensors expected
     * @param names the allowed names (null: any name)
     */
    TensorGroup(TensorCodec codec, String what, int count, Set<String> names) {
        this(codec, what, count, names, null);
    }

    /**
     * A group whose tensors' shapes are known in advance (from the device's assignment): a tensor whose first chunk
     * declares another rank, or a dimension above its bound, is refused before a byte is buffered.
     *
     * @param maxShapes by name, the largest shape allowed (null: any shape within the codec's limits)
     */
    TensorGroup(TensorCodec codec, String what, int count, Set<String> names, Map<String, long[]> maxShapes) {
        this.what = what;
        this.count = count;
        this.names = names;
        this.maxShapes = maxShapes;
        this.assembler = codec.assembler();
    }

    /** Takes one chunk; returns true when the group became complete with it. */
    boolean accept(TensorChunk c) {
        if (done.size() == count) {
            throw TensorCodec.invalid(what + ": chunk of tensor '" + c.getName() + "' after all " + count
                    + " tensors arrived");
        }
        if (!assembler.inProgress()) {
            if (names != null && !names.contains(c.getName())) {
                throw TensorCodec.invalid(what + ": unexpected tensor '" + c.getName() + "'; expected " + names);
            }
            if (done.containsKey(c.getName())) {
                throw TensorCodec.invalid(what + ": tensor '" + c.getName() + "' sent twice");
            }
            if (maxShapes != null) {
                long[] max = maxShapes.get(c.getName());
                long[] shape = TensorCodec.shapeOf(c);
                boolean fits = max != null && shape.length == max.length;
                for (int i = 0; fits && i < shape.length; i++) {
                    fits = shape[i] >= 0 && shape[i] <= max[i];
                }
                if (!fits) {
                    throw TensorCodec.invalid(what + ": tensor '" + c.getName() + "' declares shape "
                            + c.getShapeList() + "; the assignment allows " + (max == null ? "no such tensor"
                            : "at most " + java.util.Arrays.toString(max)));
                }
            }
        }
        TensorCodec.Decoded d = assembler.accept(c);
        if (d != null) {
            done.put(d.name(), d);
        }
        return done.size() == count;
    }

    boolean complete() {
        return done.size() == count;
    }

    /** At the end of a stream: INVALID_ARGUMENT unless every tensor arrived whole. */
    Map<String, TensorCodec.Decoded> requireComplete() {
        assembler.requireIdle();
        if (done.size() != count) {
            throw TensorCodec.invalid(what + " is truncated: " + done.size() + " of " + count + " tensors arrived");
        }
        return tensors();
    }

    Map<String, TensorCodec.Decoded> tensors() {
        return Collections.unmodifiableMap(done);
    }

    /** Gives back the buffer of a tensor still arriving (the stream failed or ended early); idempotent. */
    @Override
    public void close() {
        assembler.close();
    }
}
