package org.memsfl.cost;

import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.ServerProfile;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.schedule.DeviceTiming;

/**
 * Seconds of one split-learning step and bytes of one round's adapter exchange, from FLOPs ({@link Flops}) over
 * effective FLOP/s and bytes over bandwidth plus latency (DESIGN.md section 6). Compute and communication of one
 * device do not overlap; the server runs one job at a time (ordering them is the scheduler's business). The embedding
 * lookup, norms and the optimizer step are not counted, as in {@link Flops}.
 *
 * @param model     the model's shape
 * @param lora      the adapters trained
 * @param batch     sequences per step, B >= 1
 * @param seqLen    tokens per sequence, T >= 1
 * @param wireBytes bytes per element of the activation and gradient payloads (4 for fp32, 2 for fp16/bf16, 1 for
 *                  int8, which adds one float32 scale per token: {@code WireFormat.INT8})
 */
public record DelayModel(ModelConfig model, LoraConfig lora, int batch, int seqLen, int wireBytes) {

    /** Per token, the payload carries an int64 label and the attention mask as 4 bytes: 8 bytes in all. */
    public static final int LABEL_MASK_BYTES_PER_TOKEN = 8;

    public DelayModel {
        if (model == null || lora == null) {
            throw new IllegalArgumentException("delay model needs a model config and a LoRA config");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (seqLen < 1) {
            throw new IllegalArgumentException("seqLen must be >= 1, got " + seqLen);
        }
        if (wireBytes != 1 && wireBytes != 2 && wireBytes != 4) {
            throw new IllegalArgumentException("wireBytes must be 1, 2 or 4, got " + wireBytes);
        }
    }

    public long tokens() {
        return (long) batch * seqLen;
    }

    /** Device to server per step: the (B, T, d) activation plus labels and mask. */
    public long activationPayloadBytes() {
        return hiddenPayloadBytes() + tokens() * LABEL_MASK_BYTES_PER_TOKEN;
    }

    /** The (B, T, d) tensor on the wire: d elements per token, plus a 4-byte scale per token for int8. */
    private long hiddenPayloadBytes() {
        return tokens() * model.dim() * wireBytes + (wireBytes == 1 ? tokens() * 4 : 0);
    }

    /** Server to device per step: the gradient of the (B, T, d) activation. */
    public long gradientPayloadBytes() {
        return hiddenPayloadBytes();
    }

    public DeviceTiming step(DeviceProfile device, ServerProfile server, int cut) {
        return step(device, server, cut, false);
    }

    /**
     * As {@link #step(DeviceProfile, ServerProfile, int)}; with {@code serverRecompute} the server recomputes its
     * layers' activations during the backward ({@code ServerSegment(microBatchRows, true)}), which costs one more
     * forward of layers [cut, N) (not of the head, whose activations are kept).
     */
    public DeviceTiming step(DeviceProfile device, ServerProfile server, int cut, boolean serverRecompute) {
        int n = model.nLayers();
        if (cut < 1 || cut >= n) {
            throw new IllegalArgumentException("cut must be in [1, " + (n - 1) + "], got " + cut);
        }
        double fwd = Flops.layersForward(model, lora, batch, seqLen, 0, cut);
        double bwd = Flops.layersBackward(model, lora, batch, seqLen, 0, cut);
        // the head's weight is frozen: its backward is the input gradient only, one more head-sized matmul
        double srv = Flops.layersForward(model, lora, batch, seqLen, cut, n)
                + Flops.layersBackward(model, lora, batch, seqLen, cut, n) + 2 * Flops.headForward(model, tokens())
                + (serverRecompute ? Flops.layersForward(model, lora, batch, seqLen, cut, n) : 0);
        return new DeviceTiming(
                fwd / device.flopsPerSecond(),
                activationPayloadBytes() / device.uplinkBytesPerSecond() + device.latencySeconds(),
                srv / server.flopsPerSecond(),
                gradientPayloadBytes() / device.downlinkBytesPerSecond() + device.latencySeconds(),
                bwd / device.flopsPerSecond());
    }

    /** Adapters exchanged per round each way: the float32 LoRA of embedding (if targeted) and layers [0, cut). */
    public long adapterBytes(int cut) {
        return LoraCounts.params(model, lora, LayerRange.deviceSegment(cut)) * LoraCounts.BYTES;
    }

    /** Seconds to upload the device's adapters at the end of a round. */
    public double adapterUploadSeconds(DeviceProfile device, int cut) {
        return adapterBytes(cut) / device.uplinkBytesPerSecond() + device.latencySeconds();
    }

    /** Seconds to download the aggregated adapters at the start of a round. */
    public double adapterDownloadSeconds(DeviceProfile device, int cut) {
        return adapterBytes(cut) / device.downlinkBytesPerSecond() + device.latencySeconds();
    }
}
