package org.memsfl.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.grpc.proto.LoraSettings;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.lora.LoraConfig;
import org.memsfl.round.CutPlanner;
import org.memsfl.round.DevicePhase;
import org.memsfl.round.RoundRefusal;
import org.memsfl.round.ServerDevice;
import org.memsfl.round.SplitServer;
import org.memsfl.schedule.DeviceTiming;

/**
 * Registration over the wire (worker thread only): the Register request checked (authenticated id, protocol version,
 * fleet size, partition), the profile turned into the domain's {@link DeviceProfile}, the cut from the core's
 * {@link CutPlanner}, the device registered with the round's {@link SplitServer}, and the {@link Assignment} that
 * tells the device everything else. Keeps what only the transport knows of each device ({@link Peer}).
 */
final class Registrations {

    /** What the transport keeps about a registered device beside the round's {@link ServerDevice}. */
    static final class Peer {
        final int partition;
        final String reason;
        final DeviceProfile profile;
        final Assignment assignment;
        List<TensorChunk> adapters = List.of();  // device-side adapters of the current round, encoded
        boolean fetchedFinal;
        boolean toldStopped;                     // it was answered that training stopped early
        long peakRss;
        long rssBefore;

        Peer(int partition, String reason, DeviceProfile profile, Assignment assignment) {
            this.partition = partition;
            this.reason = reason;
            this.profile = profile;
            this.assignment = assignment;
        }
    }

    /** A Register answered: the assignment, and whether the device is new (not a restart of a registered one). */
    record Outcome(Assignment assignment, boolean added) {
    }

    private final ServerDeployment s;
    private final CutPlanner planner;
    private final Assignment template;   // everything but the device's id, cut and reason
    private final Consumer<String> log;
    private final Map<String, Peer> peers = new LinkedHashMap<>();

    /** The longest step the delay model may predict for a registering profile (a year): beyond it a profile is wrong. */
    static final double MAX_PREDICTED_SECONDS = 365 * 86400.0;

    Registrations(ServerDeployment s, CutPlanner planner, Assignment template, Consumer<String> log) {
        this.s = s;
        this.planner = planner;
        this.template = template;
        this.log = log;
    }

    /** The assignment every device gets, without its id, cut and reason. */
    static Assignment template(ServerDeployment s, LoraConfig l, int numLayers, int seqLen, String modelId,
                               Map<String, String> weightHashes, String templateSha256) {
        org.memsfl.settings.RunSettings r = s.run();
        return Assignment.newBuilder().setNumLayers(numLayers)
                .setLora(LoraSettings.newBuilder().setRank(l.rank()).setAlpha(l.alpha()).setDropout(l.dropout())
                        .addAllTargets(l.targets()))
                .setModelSpec(r.model()).setModelId(modelId).putAllWeightSha256(weightHashes)
                .setRounds(r.rounds()).setLocalSteps(r.localSteps()).setBatchSize(r.batchSize()).setSeqLen(seqLen)
                .setLr(r.lr()).setWarmupSteps(r.warmup()).setMaxGradNorm(r.maxGradNorm()).setSeed(r.seed())
                .setPartitioner(r.partition()).setNumPartitions(s.fleetSize()).setWireDtype(TensorCodec.wire(r.wire().dtype()))
                .setComputeDtype(r.dtype().name())
                .setMaxChunkBytes(s.maxChunkBytes()).setStepTimeoutMs((int) s.stepTimeout().toMillis())
                .setRoundTimeoutMs((int) s.roundTimeout().toMillis())
                .setTemplate(r.template()).setTemplateSha256(templateSha256).build();
    }

    Assignment assignment(String id, int cut, String reason) {
        return template.toBuilder().setDeviceId(id).setCutLayer(cut).setCutReason(reason).build();
    }

    private static StatusRuntimeException status(Status st, String description) {
        return st.withDescription(description).asRuntimeException();
    }

    /**
     * Registers a device, or answers the restart of a registered one (same authenticated id, same partition: the
     * caller drops what it had in flight).
     *
     * @param predict the delay model's step timing of a profile at a cut: a profile it cannot represent is refused
     */
    Outcome register(String authenticatedId, RegisterRequest req, SplitServer server, int round,
                     BiFunction<DeviceProfile, Integer, DeviceTiming> predict) {
        if (!authenticatedId.equals(req.getDeviceId())) {
            throw status(Status.PERMISSION_DENIED, "device_id '" + req.getDeviceId() + "' differs from the authenticated"
                    + " device id '" + authenticatedId + "'");
        }
        if (req.getProtocolVersion() > 1) {
            throw status(Status.FAILED_PRECONDITION, "protocol version " + req.getProtocolVersion()
                    + " is newer than this server's (1)");
        }
        String id = authenticatedId;
        Peer existing = peers.get(id);
        if (existing != null) {
            ServerDevice d = server.device(id);
            // the same device restarting (a crash, a kill, a fixed input, a resumed server): that is normal
            if (existing.partition == req.getPartitionIndex()) {
                log.accept("device " + id + " re-registered (" + (round == 0 ? "before round 1"
                        : d.phase() == DevicePhase.LEFT_OUT || d.missedLast() ? "rejoins at round " + round
                        : "restarts inside round " + round) + ")");
                return new Outcome(existing.assignment, false);
            }
            throw status(Status.ALREADY_EXISTS, "device id '" + id + "' is already registered with partition "
                    + existing.partition + ", not " + Integer.toUnsignedString(req.getPartitionIndex()));
        }
        if (peers.size() >= s.fleetSize()) {
            throw status(Status.RESOURCE_EXHAUSTED, "the fleet of " + s.fleetSize() + " devices is full");
        }
        int partition = req.getPartitionIndex();
        if (partition >= s.fleetSize()) {
            throw status(Status.INVALID_ARGUMENT, "partition_index " + Integer.toUnsignedString(partition)
                    + " is out of range: the data is split into " + s.fleetSize() + " partitions (0.." + (s.fleetSize() - 1)
                    + ")");
        }
        peers.forEach((other, p) -> {
            if (p.partition == partition) {
                throw status(Status.ALREADY_EXISTS, "partition " + partition + " is already trained by device " + other);
            }
        });
        DeviceProfile profile;
        try {
            org.memsfl.grpc.proto.DeviceProfile p = req.getProfile();
            profile = new DeviceProfile(id, p.getMemoryBudgetBytes(), p.getFlopsPerSecond(), p.getUplinkBytesPerSecond(),
                    p.getDownlinkBytesPerSecond(), p.getLatencySeconds());
        } catch (IllegalArgumentException e) {
            throw status(Status.INVALID_ARGUMENT, "profile: " + e.getMessage());
        }
        CutPlanner.Cut cut;
        try {
            cut = planner.assign(profile);
        } catch (RoundRefusal r) {
            throw status(Status.FAILED_PRECONDITION, r.getMessage());
        }
        DeviceTiming t = predict.apply(profile, cut.cut());
        for (double v : new double[] {t.release(), t.server(), t.tail()}) {
            if (!Double.isFinite(v) || v > MAX_PREDICTED_SECONDS) {
                throw status(Status.INVALID_ARGUMENT, "profile: the delay model predicts a step of " + v + " s for"
                        + " this profile (flops_per_second " + profile.flopsPerSecond() + ", uplink_bytes_per_second "
                        + profile.uplinkBytesPerSecond() + ", downlink_bytes_per_second "
                        + profile.downlinkBytesPerSecond() + ", latency_seconds " + profile.latencySeconds()
                        + "); it must be finite and at most " + MAX_PREDICTED_SECONDS + " s");
            }
        }
        server.register(id, cut.cut(), s.maxNumExamples());
        Assignment a = assignment(id, cut.cut(), cut.reason());
        peers.put(id, new Peer(partition, cut.reason(), profile, a));
        log.accept(String.format(Locale.ROOT, "registered %s (partition %d): %s [%d/%d]", id, partition, cut.reason(),
                peers.size(), s.fleetSize()));
        return new Outcome(a, true);
    }

    /** A device restored from a checkpoint. */
    Peer restore(Checkpoint.Registration reg, int cut) {
        Peer p = new Peer(reg.partition(), reg.reason(), reg.profile(), assignment(reg.id(), cut, reg.reason()));
        p.peakRss = reg.peakRss();
        p.rssBefore = reg.rssBefore();
        peers.put(reg.id(), p);
        return p;
    }

    Peer peer(String id) {
        return peers.get(id);
    }

    /** Registered devices in registration order. */
    /** The registered device of each partition index. */
    Map<Integer, String> deviceByPartition() {
        Map<Integer, String> m = new java.util.TreeMap<>();
        peers.forEach((id, p) -> m.put(p.partition, id));
        return m;
    }

    Map<String, Peer> all() {
        return peers;
    }

    int size() {
        return peers.size();
    }

    Map<String, DeviceProfile> profiles() {
        Map<String, DeviceProfile> out = new LinkedHashMap<>();
        peers.forEach((id, p) -> out.put(id, p.profile));
        return out;
    }

    /** Each registered device as the summary reports it. */
    List<RunRecords.DeviceLine> deviceLines(SplitServer server) {
        return server.devices().stream().map(d -> new RunRecords.DeviceLine(d.id(), d.cut(), peers.get(d.id()).peakRss,
                peers.get(d.id()).rssBefore, d.missedRounds())).toList();
    }

    /** Each device's registration for a checkpoint. */
    Map<String, Checkpoint.Registration> forCheckpoint() {
        Map<String, Checkpoint.Registration> out = new LinkedHashMap<>();
        peers.forEach((id, p) -> out.put(id, new Checkpoint.Registration(id, p.partition, p.reason, p.profile, p.peakRss,
                p.rssBefore)));
        return out;
    }
}
