package org.memsfl.grpc;

import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;
import org.memsfl.split.WireFormat;
import org.memsfl.grpc.proto.ActivationMessage;
import org.memsfl.model.ModelConfig;
import org.memsfl.split.ActivationPayload;
import org.memsfl.train.Loss;

/**
 * The border between a local step on the wire and the round's domain record: the tensors of an activation message,
 * checked against the device's assignment, become an {@link ActivationPayload}. Hostile values never reach libtorch.
 */
final class StepWire {

    /** Activation messages a step consists of. */
    static final Set<String> STEP_TENSORS = Set.of("targets", "lengths", "hidden");

    private final int batchSize;
    private final int seqLen;
    private final WireFormat wire;
    private final ModelConfig config;

    StepWire(int batchSize, int seqLen, WireFormat wire, ModelConfig config) {
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.wire = wire;
        this.config = config;
    }

    /** The round an activation message claims must be a plausible number. */
    static void checkHeader(ActivationMessage m) {
        if (m.getRound() < 1 || m.getLocalStep() < 1) {
            throw TensorCodec.invalid("activation message with round " + m.getRound() + " and local step "
                    + m.getLocalStep() + "; both count from 1");
        }
    }

    /** The step's payload; its hidden and targets tensors belong to the caller. */
    ActivationPayload payload(String deviceId, int cut, Map<String, TensorCodec.Decoded> t) {
        TensorCodec.Decoded targets = t.get("targets").requireDtype("targets", DType.I64)
                .requireShape("targets", batchSize, -1);
        long tokens = targets.shape()[1];
        if (tokens < 1 || tokens > seqLen) {
            throw TensorCodec.invalid("targets have " + tokens + " positions per row; expected 1.." + seqLen);
        }
        TensorCodec.Decoded lengths = t.get("lengths").requireDtype("lengths", DType.I32)
                .requireShape("lengths", batchSize);
        TensorCodec.Decoded hidden = t.get("hidden").requireDtype("hidden", wire.dtype())
                .requireShape("hidden", wire.packedShape(new long[] {batchSize, tokens, config.dim()}));
        int[] lens = lengths.toInts();
        for (int len : lens) {
            if (len < 1 || len > tokens) {
                throw TensorCodec.invalid("lengths hold " + len + "; each must be in [1, " + tokens + "]");
            }
        }
        for (long y : targets.toLongs()) {
            if (y != Loss.IGNORE && (y < 0 || y >= config.vocabSize())) {
                throw TensorCodec.invalid("targets hold token id " + y + "; expected " + Loss.IGNORE + " or 0.."
                        + (config.vocabSize() - 1));
            }
        }
        Tensor h = hidden.toFloat32(wire);
        Tensor y;
        try {
            y = targets.toInt64();
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        return new ActivationPayload(deviceId, cut, h, y, lens);
    }
}
