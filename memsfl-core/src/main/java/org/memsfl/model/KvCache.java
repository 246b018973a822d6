package org.memsfl.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Keys and values of past positions per layer, for incremental generation. */
public final class KvCache implements AutoCloseable {

    private final Tensor[] keys;   // per layer (B, kvHeads, past, headDim)
    private final Tensor[] values; // per layer (B, kvHeads, past, headDim)

    public KvCache(int nLayers) {
        keys = new Tensor[nLayers];
        values = new Tensor[nLayers];
    }

    /**
     * Appends this step's k and v (B, kvHeads, T, headDim) and returns the whole history for the layer. The history
     * holds an extra reference so it outlives the per-step {@code PointerScope} it was created in.
     */
    public Tensor[] append(int layer, Tensor k, Tensor v) {
        Tensor nk = keys[layer] == null ? k : torch.cat(new TensorVector(keys[layer], k), 2);
        Tensor nv = values[layer] == null ? v : torch.cat(new TensorVector(values[layer], v), 2);
        nk.retainReference();
        nv.retainReference();
        release(layer);
        keys[layer] = nk;
        values[layer] = nv;
        return new Tensor[] {nk, nv};
    }

    private void release(int layer) {
        if (keys[layer] != null) {
            keys[layer].releaseReference();
            values[layer].releaseReference();
        }
    }

    /** Positions cached so far for a layer. */
    public long length(int layer) {
        return keys[layer] == null ? 0 : keys[layer].size(2);
    }

    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            release(i);
            keys[i] = null;
            values[i] = null;
        }
    }
}
