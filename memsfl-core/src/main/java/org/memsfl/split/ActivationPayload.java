package org.memsfl.split;

import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;

/**
 * What a device sends up per local step: the cut-layer activations and the targets (the loss is taken on the
 * server). Raw text and token ids never leave the device; the targets are next-token ids at supervised positions.
 *
 * @param deviceId   sender
 * @param cut        the sender's cut layer: the server resumes at this layer
 * @param hidden     (B, T, dim) activations, detached
 * @param targets    (B, T) int64, -100 where no loss is taken
 * @param lengths    real length of each row (the attention mask)
 */
public record ActivationPayload(String deviceId, int cut, Tensor hidden, Tensor targets, int[] lengths) {

    /** The target id of a position where no loss is taken (the loss's ignore index). */
    public static final int NO_TARGET = org.memsfl.train.Loss.IGNORE;

    /** Bytes on the wire for activations in {@code wire} format plus int64 targets and int32 lengths. */
    public long wireBytes(WireFormat wire) {
        return wire.bytes(hidden) + targets.numel() * 8 + lengths.length * 4L;
    }

    /** Bytes on the wire for activations in {@code wire} dtype plus int64 targets and int32 lengths. */
    public long wireBytes(DType wire) {
        return hidden.numel() * wire.bytes() + targets.numel() * 8 + lengths.length * 4L;
    }
}
