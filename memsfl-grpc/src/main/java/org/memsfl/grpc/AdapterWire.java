package org.memsfl.grpc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraModules;
import org.memsfl.model.ModelConfig;
import org.memsfl.util.BadInputException;

/**
 * Adapter sets on the wire: every {@code <key>.lora_A} / {@code <key>.lora_B} tensor as float32 chunks (adapters
 * are never narrowed, so aggregation sees exactly what was trained), and back with the key set and every shape
 * checked against the model.
 */
final class AdapterWire {

    private AdapterWire() {
    }

    /** The adapter keys a device with this cut holds: the embedding (when targeted) and layers [0, cut). */
    static List<String> deviceKeys(LoraConfig lora, int cut) {
        List<String> keys = new ArrayList<>();
        if (lora.targetsEmbedding()) {
            keys.add(LoraModules.EMBEDDING);
        }
        for (int layer = 0; layer < cut; layer++) {
            for (String m : lora.targets()) {
                if (!m.equals(LoraModules.EMBEDDING)) {
                    keys.add(LoraModules.key(layer, m));
                }
            }
        }
        return keys;
    }

    /** Tensor names of those keys. */
    static java.util.Set<String> tensorNames(List<String> keys) {
        java.util.Set<String> out = new TreeSet<>();
        for (String k : keys) {
            out.add(k + ".lora_A");
            out.add(k + ".lora_B");
        }
        return out;
    }

    /**
     * A device's adapters encoded once for every request that fetches them (GetAdapters); opaque past the border,
     * where only their tensor count is read.
     */
    static final class Encoded {
        /** No adapters: before round 1, or the answer that training stopped. */
        static final Encoded NONE = new Encoded(List.of());

        private final List<TensorChunk> chunks;

        private Encoded(List<TensorChunk> chunks) {
            this.chunks = chunks;
        }

        /** Whole tensors (lora_A and lora_B of every adapter) the chunks carry. */
        int tensorCount() {
            return (int) chunks.stream().filter(c -> c.getChunkIndex() == 0).count();
        }

        List<TensorChunk> chunks() {
            return chunks;
        }
    }

    /** {@code adapters} as float32 chunks, held for handing out. */
    static Encoded encoded(TensorCodec codec, AdapterSet adapters) {
        return new Encoded(encode(codec, adapters));
    }

    static List<TensorChunk> encode(TensorCodec codec, AdapterSet adapters) {
        List<TensorChunk> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : adapters.toTensorMap().entrySet()) {
            out.addAll(codec.encode(e.getKey(), e.getValue(), DType.F32));
        }
        return out;
    }

    /**
     * Trainable float32 adapters from received tensors; INVALID_ARGUMENT for a missing or extra key, a wrong shape,
     * a non-float32 dtype or NaN/Inf.
     */
    static AdapterSet decode(Map<String, TensorCodec.Decoded> tensors, LoraConfig lora, ModelConfig model,
                             List<String> expectedKeys) {
        java.util.Set<String> expected = tensorNames(expectedKeys);
        if (!expected.equals(new TreeSet<>(tensors.keySet()))) {
            TreeSet<String> missing = new TreeSet<>(expected);
            missing.removeAll(tensors.keySet());
            TreeSet<String> extra = new TreeSet<>(tensors.keySet());
            extra.removeAll(expected);
            throw TensorCodec.invalid("adapters do not match the assignment: missing " + missing + ", unexpected " + extra);
        }
        Map<String, Tensor> raw = new LinkedHashMap<>();
        try {
            for (TensorCodec.Decoded d : tensors.values()) {
                d.requireDtype("adapter tensor", DType.F32);
                raw.put(d.name(), d.toFloat32());
            }
            AdapterSet set = AdapterSet.fromTensorMap(lora, raw);
            try {
                AdapterIO.validateAgainst(set, model);
            } catch (BadInputException e) {
                set.close();
                throw TensorCodec.invalid(e.getMessage());
            }
            return set;
        } finally {
            raw.values().forEach(Tensor::close);
        }
    }
}
