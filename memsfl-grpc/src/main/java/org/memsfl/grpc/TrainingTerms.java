package org.memsfl.grpc;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.memsfl.engine.DType;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.RoundSettings;
import org.memsfl.split.WireFormat;

/**
 * What every device of a deployment trains, and how: the part of the server's assignment that is the same for the
 * whole fleet (the proto {@code Assignment} less the device's id, cut and reason). Built by the server from its
 * settings, or by {@link RegistrationCodec} from the wire on the device; past the gRPC border only this record is read.
 *
 * @param numLayers      N, the model's layer count
 * @param lora           adapter settings of the whole fleet
 * @param modelSpec      what the device passes to the model resolver (known name, path, {@code random:<preset>})
 * @param modelId        the server's normalised model id, for logs and saved adapters
 * @param weightSha256   hex sha256 of every frozen weight's float32 bytes, by tensor name (the device checks its copy)
 * @param round          rounds, local steps, learning rate, warm-up, clipping and seed, shared by both sides
 * @param batchSize      sequences per local step, > 0
 * @param seqLen         longest sequence in tokens (already capped at the model's maximum), > 0
 * @param partitioner    natural, iid or dirichlet:&lt;alpha&gt;: every device partitions the data the same way
 * @param numPartitions  fleet size: the data is split into this many partitions, > 0
 * @param wire           element type of activations and gradients on the wire
 * @param maxChunkBytes  largest tensor chunk either side sends or accepts, > 0
 * @param stepTimeout    how long a device waits for one gradient before giving up the round
 * @param roundTimeout   how long after a round opens the server drops a device that has not uploaded
 * @param computeDtype   frozen weights and activations of the device segment (F32, BF16 or F16)
 * @param template       the run's prompt format choice (auto, chat, plain, a name, a .jinja file)
 * @param templateSha256 hex sha256 of the chat template's source the server renders with ("" for plain)
 */
public record TrainingTerms(int numLayers, LoraConfig lora, String modelSpec, String modelId,
                            Map<String, String> weightSha256, RoundSettings round, int batchSize, int seqLen,
                            String partitioner, int numPartitions, WireFormat wire, int maxChunkBytes,
                            Duration stepTimeout, Duration roundTimeout, DType computeDtype, String template,
                            String templateSha256) {

    public TrainingTerms {
        Objects.requireNonNull(lora, "lora");
        Objects.requireNonNull(round, "round");
        Objects.requireNonNull(wire, "wire_dtype");
        Objects.requireNonNull(computeDtype, "compute_dtype");
        positive("num_layers", numLayers);
        positive("batch_size", batchSize);
        positive("seq_len", seqLen);
        positive("num_partitions", numPartitions);
        positive("max_chunk_bytes", maxChunkBytes);
        nonBlank("model_spec", modelSpec);
        nonBlank("model_id", modelId);
        nonBlank("partitioner", partitioner);
        if (computeDtype != DType.F32 && computeDtype != DType.BF16 && computeDtype != DType.F16) {
            throw new IllegalArgumentException("compute_dtype is " + computeDtype + "; expected F32, BF16 or F16");
        }
        for (Duration d : new Duration[] {stepTimeout, roundTimeout}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("step and round timeouts must be positive, got " + d);
            }
        }
        weightSha256 = Map.copyOf(Objects.requireNonNull(weightSha256, "weight_sha256"));
        template = template == null ? "" : template;
        templateSha256 = templateSha256 == null ? "" : templateSha256;
    }

    private static void positive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + v);
        }
    }

    private static void nonBlank(String field, String v) {
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(field + " must be set");
        }
    }
}
