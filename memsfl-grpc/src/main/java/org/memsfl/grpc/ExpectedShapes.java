package org.memsfl.grpc;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.split.WireFormat;

/**
 * The largest tensors the server expects from each registered device, known from its assignment: a local step's
 * {@code hidden} (batch, at most seq_len, dim; dim + 4 in the int8 wire format, whose rows carry their scale), {@code targets} (batch, at most seq_len) and {@code lengths} (batch);
 * an upload's adapter tensors exactly as its cut holds them. Read by gRPC threads before a byte is buffered, so that
 * memory follows what the server expects and nothing is assembled for a device that has not registered.
 */
final class ExpectedShapes {

    private final Map<String, long[]> step;
    private final Map<String, Map<String, long[]>> uploads = new ConcurrentHashMap<>();

    ExpectedShapes(int batchSize, int seqLen, int dim, WireFormat wire) {
        this.step = Map.of("hidden", wire.packedShape(new long[] {batchSize, seqLen, dim}), "targets", new long[] {batchSize, seqLen},
                "lengths", new long[] {batchSize});
    }

    /** A device registered (or was restored) with these device-side adapters. */
    void register(String id, AdapterSet deviceSide) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : deviceSide.toTensorMap().entrySet()) {
            m.put(e.getKey(), Tensors.shape(e.getValue()));
        }
        uploads.put(id, Map.copyOf(m));
    }

    /** The tensors of any local step. */
    Map<String, long[]> step() {
        return step;
    }

    /** The tensors of {@code id}'s upload; null when it has not registered. */
    Map<String, long[]> upload(String id) {
        return uploads.get(id);
    }

    boolean registered(String id) {
        return uploads.containsKey(id);
    }
}
