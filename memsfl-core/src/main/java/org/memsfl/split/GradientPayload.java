package org.memsfl.split;

import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;

/**
 * What the server sends back: the gradient of the loss with respect to the cut-layer activations, and the loss.
 *
 * @param grad (B, T, dim)
 * @param loss mean nats per target token of this step
 * @param targetTokens number of tokens the loss averaged over
 */
public record GradientPayload(Tensor grad, double loss, long targetTokens) {

    /** Bytes on the wire: the gradient in {@code wire} format plus the loss and target count (16 bytes). */
    public long wireBytes(WireFormat wire) {
        return wire.bytes(grad) + 16;
    }

    public long wireBytes(DType wire) {
        return grad.numel() * wire.bytes() + 16;
    }
}
