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
import org.memsfl.lora.LoraConfig;
import org.memsfl.round.CutPlanner;
import org.memsfl.round.DevicePhase;
import org.memsfl.round.RoundRefusal;
import org.memsfl.round.ServerDevice;
import org.memsfl.round.SplitServer;
import org.memsfl.schedule.DeviceTiming;

/**
 * Registration on the server (worker thread only): a {@link DeviceRegistration} (already checked at the border by
 * {@link RegistrationCodec}) checked against the fleet (size, partitions, a restart of a registered device), the cut
 * from the core's {@link CutPlanner}, the device registered with the round's {@link SplitServer}, and the
 * {@link DeviceAssignment} that tells the device everything else. Keeps what only the transport knows of each device
 * ({@link Peer}).
 */
final class Registrations {

    /** What the transport keeps about a registered device beside the round's {@link ServerDevice}. */
    static final class Peer {
        final int partition;
        final String reason;
        final DeviceProfile profile;
        final DeviceAssignment assignment;
        AdapterWire.Encoded adapters = AdapterWire.Encoded.NONE; // device-side adapters of the current round
        boolean fetchedFinal;
        boolean toldStopped;                     // it was answered that training stopped early
        long peakRss;
        long rssBefore;

        Peer(int partition, String reason, DeviceProfile profile, DeviceAssignment assignment) {
            this.partition = partition;
            this.reason = reason;
            this.profile = profile;
            this.assignment = assignment;
        }
    }

    /** A Register answered: the assignment, and whether the device is new (not a restart of a registered one). */
    record Outcome(DeviceAssignment assignment, boolean added) {
    }

    private final ServerDeployment s;
    private final CutPlanner planner;
    private final TrainingTerms terms;   // what every device trains: all of an assignment but its id, cut and reason
    private final Consumer<String> log;
    private final Map<String, Peer> peers = new LinkedHashMap<>();

    /** The longest step the delay model may predict for a registering profile (a year): beyond it a profile is wrong. */
    static final double MAX_PREDICTED_SECONDS = 365 * 86400.0;

    Registrations(ServerDeployment s, CutPlanner planner, TrainingTerms terms, Consumer<String> log) {
        this.s = s;
        this.planner = planner;
        this.terms = terms;
        this.log = log;
    }

    /** What every device of the fleet trains: its assignment without its id, cut and reason. */
    static TrainingTerms terms(ServerDeployment s, LoraConfig l, int numLayers, int seqLen, String modelId,
                               Map<String, String> weightHashes, String templateSha256) {
        org.memsfl.settings.RunSettings r = s.run();
        return new TrainingTerms(numLayers, l, r.model(), modelId, weightHashes, r.roundSettings(), r.batchSize(),
                seqLen, r.partition(), s.fleetSize(), r.wire(), s.maxChunkBytes(), s.stepTimeout(), s.roundTimeout(),
                r.dtype(), r.template(), templateSha256);
    }

    DeviceAssignment assignment(String id, int cut, String reason) {
        return new DeviceAssignment(id, cut, reason, terms);
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
    Outcome register(DeviceRegistration req, SplitServer server, int round,
                     BiFunction<DeviceProfile, Integer, DeviceTiming> predict) {
        String id = req.deviceId();
        Peer existing = peers.get(id);
        if (existing != null) {
            ServerDevice d = server.device(id);
            // the same device restarting (a crash, a kill, a fixed input, a resumed server): that is normal
            if (existing.partition == req.partitionIndex()) {
                log.accept("device " + id + " re-registered (" + (round == 0 ? "before round 1"
                        : d.phase() == DevicePhase.LEFT_OUT || d.missedLast() ? "rejoins at round " + round
                        : "restarts inside round " + round) + ")");
                return new Outcome(existing.assignment, false);
            }
            throw status(Status.ALREADY_EXISTS, "device id '" + id + "' is already registered with partition "
                    + existing.partition + ", not " + req.partitionIndex());
        }
        if (peers.size() >= s.fleetSize()) {
            throw status(Status.RESOURCE_EXHAUSTED, "the fleet of " + s.fleetSize() + " devices is full");
        }
        int partition = req.partitionIndex();
        if (partition >= s.fleetSize()) {
            throw status(Status.INVALID_ARGUMENT, "partition_index " + partition
                    + " is out of range: the data is split into " + s.fleetSize() + " partitions (0.." + (s.fleetSize() - 1)
                    + ")");
        }
        peers.forEach((other, p) -> {
            if (p.partition == partition) {
                throw status(Status.ALREADY_EXISTS, "partition " + partition + " is already trained by device " + other);
            }
        });
        DeviceProfile profile = req.profile();
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
        DeviceAssignment a = assignment(id, cut.cut(), cut.reason());
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
