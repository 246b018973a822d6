package org.memsfl.grpc;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;
import org.memsfl.split.WireFormat;
import org.memsfl.grpc.proto.ActivationMessage;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.model.ModelConfig;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.GradientPayload;

/**
 * The border between a local step on the wire and the round's domain records: the tensors of an
 * {@link ActivationStep}, checked against the device's assignment, become an {@link ActivationPayload} (hostile
 * values never reach libtorch), and a served step's {@link GradientPayload} becomes an {@link EncodedGradient} whose
 * chunks only the service turns into gradient messages.
 */
final class StepWire {

    /** Activation messages a step consists of. */
    static final Set<String> STEP_TENSORS = Set.of("targets", "lengths", "hidden");

    /**
     * A served step's gradient encoded in the wire format, with the loss it reports; opaque past the border.
     *
     * @param round        the round the activations claimed (echoed)
     * @param localStep    the local step they claimed (echoed)
     * @param chunks       the {@code "grad"} tensor (batch, tokens, dim) in the wire format, chunked
     * @param lossNats     the step's mean loss per target token (nats)
     * @param targetTokens tokens the loss averaged over
     */
    record EncodedGradient(int round, int localStep, List<TensorChunk> chunks, double lossNats, long targetTokens) {

        /** The gradient's bytes in the wire dtype (the run's records count them). */
        long dataBytes() {
            return TensorCodec.dataBytes(chunks);
        }
    }

    private final int batchSize;
    private final int seqLen;
    private final WireFormat wire;
    private final ModelConfig config;
    private final TensorCodec codec;

    StepWire(int batchSize, int seqLen, WireFormat wire, ModelConfig config, TensorCodec codec) {
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.wire = wire;
        this.config = config;
        this.codec = codec;
    }

    /** {@code g}'s gradient encoded as the {@code "grad"} tensor in the run's wire format; g stays the caller's. */
    EncodedGradient gradient(int round, int localStep, GradientPayload g) {
        return new EncodedGradient(round, localStep, codec.encode("grad", g.grad(), wire), g.loss(), g.targetTokens());
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
            if (y != ActivationPayload.NO_TARGET && (y < 0 || y >= config.vocabSize())) {
                throw TensorCodec.invalid("targets hold token id " + y + "; expected " + ActivationPayload.NO_TARGET + " or 0.."
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
