package org.memsfl.grpc;

import io.grpc.Status;
import java.time.Duration;
import org.memsfl.engine.DType;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.grpc.proto.LoraSettings;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.RoundSettings;
import org.memsfl.util.BadInputException;

/**
 * The Register rpc's two messages at the gRPC border: {@code RegisterRequest} to and from {@link DeviceRegistration},
 * {@code Assignment} to and from {@link DeviceAssignment}. Each message is validated here once, with one line naming
 * the proto field, the value and what was expected; nothing past the border reads a proto of registration.
 *
 * <p>Hand-written rather than generated: the mapping holds the protocol's own rules (protocol version 1, unsigned
 * fields that must fit a Java int, 0 timeouts meaning the protocol's defaults).
 */
final class RegistrationCodec {

    /** The protocol version this code speaks (RegisterRequest.protocol_version). */
    static final int PROTOCOL_VERSION = 1;
    /** A device's wait for one gradient when the assignment leaves step_timeout_ms at 0. */
    static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofMinutes(10);
    /** The Train stream's deadline when the assignment leaves round_timeout_ms at 0. */
    static final Duration DEFAULT_ROUND_TIMEOUT = Duration.ofHours(2);

    private RegistrationCodec() {
    }

    // ------------------------------------------------------------------ RegisterRequest (device -> server)

    static RegisterRequest toProto(DeviceRegistration r) {
        DeviceProfile p = r.profile();
        return RegisterRequest.newBuilder().setDeviceId(p.id()).setPartitionIndex(r.partitionIndex())
                .setProtocolVersion(PROTOCOL_VERSION)
                .setProfile(org.memsfl.grpc.proto.DeviceProfile.newBuilder().setMemoryBudgetBytes(p.memoryBudgetBytes())
                        .setFlopsPerSecond(p.flopsPerSecond()).setUplinkBytesPerSecond(p.uplinkBytesPerSecond())
                        .setDownlinkBytesPerSecond(p.downlinkBytesPerSecond()).setLatencySeconds(p.latencySeconds()))
                .build();
    }

    /**
     * The request of the device authenticated as {@code authenticatedId}, checked: its id is the authenticated one
     * (else PERMISSION_DENIED), its protocol version is not newer than ours (FAILED_PRECONDITION), its partition
     * index fits and its profile is a valid {@link DeviceProfile} (INVALID_ARGUMENT).
     */
    static DeviceRegistration registration(RegisterRequest req, String authenticatedId) {
        if (!authenticatedId.equals(req.getDeviceId())) {
            throw Statuses.of(Status.PERMISSION_DENIED, "device_id '" + req.getDeviceId() + "' differs from the"
                    + " authenticated device id '" + authenticatedId + "'");
        }
        if (Integer.compareUnsigned(req.getProtocolVersion(), PROTOCOL_VERSION) > 0) {
            throw Statuses.of(Status.FAILED_PRECONDITION, "protocol version "
                    + Integer.toUnsignedString(req.getProtocolVersion()) + " is newer than this server's ("
                    + PROTOCOL_VERSION + ")");
        }
        if (req.getPartitionIndex() < 0) { // a uint32 beyond Java's int
            throw Statuses.of(Status.INVALID_ARGUMENT, "partition_index "
                    + Integer.toUnsignedString(req.getPartitionIndex()) + " is out of range");
        }
        org.memsfl.grpc.proto.DeviceProfile p = req.getProfile();
        if (p.getMemoryBudgetBytes() < 0) { // a uint64 beyond Java's long
            throw Statuses.of(Status.INVALID_ARGUMENT, "profile: memory_budget_bytes "
                    + Long.toUnsignedString(p.getMemoryBudgetBytes()) + " is out of range");
        }
        try {
            return new DeviceRegistration(new DeviceProfile(authenticatedId, p.getMemoryBudgetBytes(),
                    p.getFlopsPerSecond(), p.getUplinkBytesPerSecond(), p.getDownlinkBytesPerSecond(),
                    p.getLatencySeconds()), req.getPartitionIndex());
        } catch (IllegalArgumentException e) {
            throw Statuses.of(Status.INVALID_ARGUMENT, "profile: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ Assignment (server -> device)

    static Assignment toProto(DeviceAssignment a) {
        TrainingTerms t = a.terms();
        LoraConfig l = t.lora();
        RoundSettings r = t.round();
        return Assignment.newBuilder().setDeviceId(a.deviceId()).setCutLayer(a.cut()).setCutReason(a.cutReason())
                .setNumLayers(t.numLayers())
                .setLora(LoraSettings.newBuilder().setRank(l.rank()).setAlpha(l.alpha()).setDropout(l.dropout())
                        .addAllTargets(l.targets()))
                .setModelSpec(t.modelSpec()).setModelId(t.modelId()).putAllWeightSha256(t.weightSha256())
                .setRounds(r.rounds()).setLocalSteps(r.localSteps()).setBatchSize(t.batchSize()).setSeqLen(t.seqLen())
                .setLr(r.lr()).setWarmupSteps(r.warmup()).setMaxGradNorm(r.maxGradNorm()).setSeed(r.seed())
                .setPartitioner(t.partitioner()).setNumPartitions(t.numPartitions())
                .setWireDtype(TensorCodec.wire(t.wire().dtype())).setComputeDtype(t.computeDtype().name())
                .setMaxChunkBytes(t.maxChunkBytes()).setStepTimeoutMs(millis(t.stepTimeout()))
                .setRoundTimeoutMs(millis(t.roundTimeout()))
                .setTemplate(t.template()).setTemplateSha256(t.templateSha256()).build();
    }

    /** A uint32 millisecond field; a longer timeout is sent as the longest the field holds. */
    private static int millis(Duration d) {
        return (int) Math.min(d.toMillis(), 0xFFFF_FFFFL);
    }

    /**
     * The server's answer as this device reads it.
     *
     * @throws BadInputException naming the field when the assignment is not one this device can train with (another
     *                           protocol version, or a server that sent nonsense)
     */
    static DeviceAssignment assignment(Assignment a) {
        try {
            LoraSettings l = a.getLora();
            RoundSettings round = new RoundSettings(uint("rounds", a.getRounds()), uint("local_steps", a.getLocalSteps()),
                    a.getLr(), uint("warmup_steps", a.getWarmupSteps()), a.getMaxGradNorm(), a.getSeed());
            TrainingTerms terms = new TrainingTerms(uint("num_layers", a.getNumLayers()),
                    new LoraConfig(uint("lora.rank", l.getRank()), l.getAlpha(), l.getDropout(), l.getTargetsList()),
                    a.getModelSpec(), a.getModelId(), a.getWeightSha256Map(), round, uint("batch_size", a.getBatchSize()),
                    uint("seq_len", a.getSeqLen()), a.getPartitioner(), uint("num_partitions", a.getNumPartitions()),
                    TensorCodec.wireFormat(a.getWireDtype()), uint("max_chunk_bytes", a.getMaxChunkBytes()),
                    timeout(a.getStepTimeoutMs(), DEFAULT_STEP_TIMEOUT), timeout(a.getRoundTimeoutMs(), DEFAULT_ROUND_TIMEOUT),
                    a.getComputeDtype().isEmpty() ? DType.F32 : computeDtype(a.getComputeDtype()), a.getTemplate(),
                    a.getTemplateSha256());
            return new DeviceAssignment(a.getDeviceId(), uint("cut_layer", a.getCutLayer()), a.getCutReason(), terms);
        } catch (IllegalArgumentException | io.grpc.StatusRuntimeException e) {
            String why = e instanceof io.grpc.StatusRuntimeException s ? s.getStatus().getDescription() : e.getMessage();
            throw new BadInputException("the server's assignment cannot be trained with: " + why
                    + " (is the server another memsfl version?)", e);
        }
    }

    private static int uint(String field, int v) {
        if (v < 0) {
            throw new IllegalArgumentException(field + " " + Integer.toUnsignedString(v) + " is out of range");
        }
        return v;
    }

    private static Duration timeout(int ms, Duration unset) {
        return ms == 0 ? unset : Duration.ofMillis(Integer.toUnsignedLong(ms));
    }

    private static DType computeDtype(String s) {
        try {
            return DType.valueOf(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("compute_dtype '" + s + "' is not F32, BF16 or F16");
        }
    }
}
