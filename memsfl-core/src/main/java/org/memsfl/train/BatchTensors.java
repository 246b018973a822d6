package org.memsfl.train;

import org.bytedeco.pytorch.Tensor;
import org.memsfl.data.Batch;
import org.memsfl.engine.Tensors;

/** A data batch as libtorch tensors. */
public final class BatchTensors {

    private BatchTensors() {
    }

    /** (B, T) int64 input ids, right-padded. */
    public static Tensor inputIds(Batch b) {
        return Tensors.fromLongs(b.inputIds(), b.batchSize(), b.seqLen());
    }

    /** (B, T) int64 targets, -100 where no loss is taken. */
    public static Tensor targets(Batch b) {
        return Tensors.fromLongs(b.targets(), b.batchSize(), b.seqLen());
    }

    public static long countTargets(Batch b) {
        long n = 0;
        for (long t : b.targets()) {
            if (t != Loss.IGNORE) {
                n++;
            }
        }
        return n;
    }
}
