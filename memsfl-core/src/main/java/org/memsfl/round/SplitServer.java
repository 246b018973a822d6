package org.memsfl.round;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.ToLongFunction;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.settings.RoundSettings;
import org.memsfl.cost.DelayModel;
import org.memsfl.data.Batch;
import org.memsfl.fed.AggregationStrategy;
import org.memsfl.fed.ClientUpdate;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.ServerProfile;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.schedule.DeviceTiming;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.GradientPayload;
import org.memsfl.split.ServerSegment;
import org.memsfl.split.ServerState;
import org.memsfl.train.AdamW;
import org.memsfl.train.Evaluator;
import org.memsfl.train.LrSchedule;

/**
 * The server side of a split federated round (Chen et al. 2025; DESIGN.md sections 1 and 7), written once and driven
 * by both the simulator (in process) and the gRPC edge server: registration, per-device server state, round begin
 * (reseeding), serving one local step ({@link ServerSegment}, with the LR schedule), round end (aggregation over the
 * devices that uploaded, the left-out ones restarted from the aggregate), held-out evaluation and a typed checkpoint.
 * What the server holds is the {@link ServerDesign}: memsfl, or the sfl-v1 and splitlora baselines.
 *
 * <p>Not thread-safe: a driver calls it from one thread (the edge server's worker). The order in which it serves
 * devices is the driver's (a {@code schedule.StepDispatcher}); the round records it.
 */
public final class SplitServer implements AutoCloseable {

    private final RoundSettings s;
    final RoundGuards guards;
    private final ServerDesign design;
    final DecoderModel model;
    private final AggregationStrategy aggregation;
    private final IntFunction<LoadedModel> serverCopy;
    private final LrSchedule schedule;
    final ServerSegment segment;
    private final AdapterSet init;
    private final int nLayers;
    final Map<String, ServerDevice> devices = new LinkedHashMap<>();
    private final List<LoadedModel> copies = new ArrayList<>();
    private final List<String> serveOrder = new ArrayList<>();
    private ServerState shared;
    AdapterSet global;
    boolean globalSharesServerSide; // splitlora after a round: the global set's server part is the live state
    int round;
    private double lossSum;
    private long lossTokens;
    RoundStart roundStart;       // the state when this round opened (guards.keepRoundStart())

    /**
     * @param model       the frozen model, all layers (sfl-v1 keeps it for evaluation only)
     * @param lora        adapter settings in the model's module names
     * @param aggregation the round-end strategy (splitlora: device sides only)
     * @param recompute   memsfl's server recomputes each layer's activations before its backward (ignored otherwise)
     * @param serverCopy  sfl-v1: loads layers [cut, N) anew for a device with that cut (null for the other designs)
     * @param guards      what it does not take on trust from devices ({@link RoundGuards})
     */
    public SplitServer(RoundSettings s, RoundGuards guards, ServerDesign design, DecoderModel model, LoraConfig lora,
                       AggregationStrategy aggregation, boolean recompute, IntFunction<LoadedModel> serverCopy) {
        if (design.modelCopyPerDevice() && serverCopy == null) {
            throw new IllegalArgumentException(design + " needs a loader for its per-device server copies");
        }
        this.s = s;
        this.guards = guards;
        this.design = design;
        this.model = model;
        this.aggregation = aggregation;
        this.serverCopy = serverCopy;
        this.schedule = s.schedule();
        // memsfl's sequential server also runs its head and loss in chunks of target tokens; the baselines run as
        // published, all logits at once
        this.segment = new ServerSegment(0, design.memsflServer() && recompute, design.memsflServer());
        this.nLayers = model.config().nLayers();
        this.init = AdapterSet.init(model.config(), lora, LayerRange.all(nLayers), s.seed());
        this.global = init.copy();
    }

    // ------------------------------------------------------------------ registration

    /**
     * Registers a device with its cut: its server side starts from the initial adapters of layers [cut, N) with a
     * fresh AdamW (splitlora: the one shared state, created by the first device). Its {@code num_examples} claims may
     * not exceed {@code maxExamples} (its partition's size where the driver knows it, a configured bound otherwise).
     */
    public ServerDevice register(String id, int cut, long maxExamples) {
        if (devices.containsKey(id)) {
            throw new IllegalArgumentException("device " + id + " is already registered");
        }
        if (cut < 1 || cut >= nLayers) {
            throw new IllegalArgumentException("cut must be in [1, " + (nLayers - 1) + "], got " + cut);
        }
        ServerState state;
        if (design.sharedServerState()) {
            if (shared == null) {
                shared = newState(cut, model);
            } else if (shared.cut() != cut) {
                throw new IllegalArgumentException(design + " cuts every device at " + shared.cut() + ", got " + cut
                        + " for " + id);
            }
            state = shared;
        } else if (design.modelCopyPerDevice()) {
            // SFL-V1 keeps its own server-side submodel per device: a real copy of layers [cut, N)
            LoadedModel copy = serverCopy.apply(cut);
            copies.add(copy);
            state = newState(cut, copy.model());
        } else {
            state = newState(cut, model);
        }
        ServerDevice d = new ServerDevice(id, cut, maxExamples, init.slice(0, cut, true).copy());
        segment.register(id, state);
        devices.put(id, d);
        return d;
    }

    private ServerState newState(int cut, DecoderModel on) {
        AdapterSet side = init.slice(cut, nLayers, false).copy();
        return new ServerState(cut, on, side, new AdamW(side.namedParameters(), AdamW.Settings.defaults()));
    }

    /** The device-side adapters a device registered before round 1 starts with: layers [0, cut), a view. */
    public AdapterSet initialDeviceSide(String id) {
        return init.slice(0, device(id).cut(), true);
    }

    /** A registered device. */
    public ServerDevice device(String id) {
        ServerDevice d = devices.get(id);
        if (d == null) {
            throw new RoundRefusal(RoundRefusal.Kind.PRECONDITION, "device " + id + " has not registered");
        }
        return d;
    }

    /** Registered devices in registration order. */
    public Collection<ServerDevice> devices() {
        return devices.values();
    }

    // ------------------------------------------------------------------ a round

    /**
     * Opens round {@code r}: every device starts training, and each server-side dropout stream is reseeded from
     * (seed, device, round), so the draws do not depend on the serving order (splitlora's shared state: one stream).
     */
    public void beginRound(int r) {
        if (r < 1 || r > s.rounds()) {
            throw new IllegalArgumentException("round must be in [1, " + s.rounds() + "], got " + r);
        }
        round = r;
        lossSum = 0;
        lossTokens = 0;
        serveOrder.clear();
        for (ServerDevice d : devices.values()) {
            d.beginRound();
            if (!design.sharedServerState()) {
                segment.state(d.id()).beginRound(s.seed(), d.id(), r);
            }
        }
        if (shared != null) {
            shared.beginRound(s.seed(), "splitlora-shared", r);
        }
        if (guards.keepRoundStart()) {
            if (roundStart != null) {
                roundStart.close();
            }
            roundStart = new RoundStart(global, segment.states().values());
        }
    }

    /**
     * A registered device started again (a new process under the same id): inside an open round it redoes the round
     * from its start, its server side put back to the round's start (with {@link RoundGuards#keepRoundStart()};
     * without it, or with splitlora's shared state, it is left out and rejoins at the next round).
     *
     * @return its upload of this round, if it had one, for the caller to free (null otherwise)
     */
    public AdapterSet restart(String id) {
        ServerDevice d = device(id);
        if (round < 1 || round > s.rounds()) {
            return null;
        }
        if (roundStart == null || design.sharedServerState()) {
            return d.phase() == DevicePhase.TRAINING ? d.leaveOutNow() : null;
        }
        AdapterSet upload = d.restart();
        if (d.phase() == DevicePhase.TRAINING && roundStart.restore(segment.state(id))) {
            segment.state(id).beginRound(s.seed(), id, round);
        }
        return upload;
    }

    /** The round open now (0 before round 1). */
    public int round() {
        return round;
    }

    /** Each device's predicted step timing (for the dispatcher), in registration order. */
    public Map<String, DeviceTiming> timings(DelayModel delay, Map<String, DeviceProfile> profiles, ServerProfile server) {
        Map<String, DeviceTiming> out = new LinkedHashMap<>();
        for (ServerDevice d : devices.values()) {
            out.put(d.id(), delay.step(profiles.get(d.id()), server, d.cut(), segment.recompute()));
        }
        return out;
    }

    /**
     * Refuses {@code what} of a device for round {@code claimed} unless that round is open and the device is in it.
     *
     * @throws RoundRefusal a stale round, or a device left out of this round after its deadline
     */
    public ServerDevice requireInRound(String id, int claimed, String what) {
        return device(id).requireIn(round, claimed, what);
    }

    /** Refuses a local step that is not the device's next one in round {@code claimed}. */
    public void checkStep(String id, int claimed, int localStep) {
        device(id).requireIn(round, claimed, "activations").requireNextStep(claimed, localStep, s.localSteps());
    }

    /**
     * Serves one local step: the server segment with the device's server-side state, loss, backward, clipping and
     * AdamW at the schedule's rate for that state's next step. The gradient at the cut belongs to the caller.
     */
    public GradientPayload serve(ActivationPayload p, int localStep) {
        checkStep(p.deviceId(), round, localStep);
        ServerState st = segment.state(p.deviceId());
        GradientPayload g = segment.process(p, schedule.at(st.optimizer().steps() + 1), s.maxGradNorm());
        devices.get(p.deviceId()).served();
        serveOrder.add(p.deviceId() + ":" + localStep);
        lossSum += g.loss() * g.targetTokens();
        lossTokens += g.targetTokens();
        return g;
    }

    /** Refuses an upload before the device's local steps are done, a second one, or a weight out of its bound. */
    public void checkUpload(String id, int claimed, long numExamples) {
        device(id).requireIn(round, claimed, "adapters").requireUpload(numExamples, s.localSteps());
    }

    /**
     * Takes a device's adapters after its local steps. In process these are the device's live adapters; the round
     * end writes the aggregate into them. An invalid claim ({@link RoundGuards}) leaves the device out of the round.
     */
    public void upload(String id, int claimed, AdapterSet deviceSide, long numExamples) {
        device(id).requireIn(round, claimed, "adapters").accept(deviceSide, numExamples, guards, s);
    }

    /** Leaves a device out of the open round at once (its upload was refused as invalid): the round goes on. */
    public void leaveOut(String id) {
        device(id).leaveOut();
    }

    /** The round's deadline passed: every device that has not uploaded is left out; returns their ids. */
    public List<String> leaveOutLate() {
        List<String> late = new ArrayList<>();
        for (ServerDevice d : devices.values()) {
            if (d.phase() != DevicePhase.UPLOADED) {
                d.leaveOut();
                late.add(d.id());
            }
        }
        return late;
    }

    /** True when every device has uploaded or was left out: the round may end. */
    public boolean complete() {
        return devices.values().stream().allMatch(d -> d.phase() == DevicePhase.UPLOADED
                || d.phase() == DevicePhase.LEFT_OUT);
    }

    /** Ends the round with the finiteness gate only: {@link #endRound(List, double)} without held-out batches. */
    public RoundEnd endRound() {
        return endRound(List.of(), Double.NaN);
    }

    /**
     * Ends the round: aggregates over the devices that uploaded (their device side and their server side; splitlora:
     * device sides only), writes the result back into both in place (server-side tensors keep their optimizer), and
     * restarts each left-out device from the aggregate on both sides. Then the guards ({@link RoundGuards}): below the
     * quorum nothing is aggregated and the round is rolled back; aggregated adapters that are not finite, or whose
     * held-out loss is not finite or above {@code maxLossRatio} times {@code lastGoodLoss}, roll the round back too.
     * A rolled-back round hands every device the adapters it started the round with ({@link RoundEnd#discarded()}).
     *
     * @param heldOut      batches the health gate scores the aggregate on (empty: finiteness only)
     * @param lastGoodLoss the held-out loss of the last round kept (NaN: none yet)
     * @throws IllegalStateException the gate failed and there is no round-start copy to roll back to
     */
    public RoundEnd endRound(List<Batch> heldOut, double lastGoodLoss) {
        List<ClientUpdate> updates = new ArrayList<>();
        List<String> participants = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        for (ServerDevice d : devices.values()) {
            if (d.phase() == DevicePhase.UPLOADED) {
                AdapterSet serverSide = design.sharedServerState() ? d.upload().slice(0, 0, false)
                        : segment.state(d.id()).adapters();
                updates.add(new ClientUpdate(d.id(), d.cut(), d.numExamples(), d.upload(), serverSide));
                participants.add(d.id());
            } else {
                leftOut.add(d.id());
            }
        }
        String discarded = null;
        if (updates.size() < guards.minDevices()) {
            discarded = "no quorum: " + updates.size() + " of " + devices.size() + " devices uploaded, below the "
                    + guards.minDevices() + " required";
            rollBack(); // without a round-start copy nobody uploaded and nothing changed
        } else {
            aggregate(updates);
        }
        double[] eval = {Double.NaN}; // the held-out loss of the adapters kept
        discarded = discarded != null ? discarded : HealthGate.check(this, heldOut, lastGoodLoss, eval);
        if (discarded != null && !heldOut.isEmpty()) {
            eval[0] = evaluate(heldOut);
        }
        Map<String, AdapterSet> next = new LinkedHashMap<>();
        for (ServerDevice d : devices.values()) {
            if (discarded != null) {
                next.put(d.id(), d.start()); // the round never happened, for every device
            } else if (d.phase() == DevicePhase.UPLOADED) {
                next.put(d.id(), d.upload());
            } else {
                // left out: it restarts from the aggregate on both sides, as a fresh participant would
                if (shared == null) {
                    segment.state(d.id()).adapters().assign(global.slice(d.cut(), nLayers, false));
                }
                next.put(d.id(), global.slice(0, d.cut(), true));
            }
            d.endRound(round);
            d.startNext(next.get(d.id()));
        }
        double loss = lossTokens == 0 ? Double.NaN : lossSum / lossTokens;
        return new RoundEnd(round, participants, leftOut, next, loss, serveOrder, eval[0], discarded);
    }

    private void aggregate(List<ClientUpdate> updates) {
        AdapterSet aggregated = aggregation.aggregateInPlace(updates);
        if (shared != null) {
            // the shared server side is not averaged: the global set is the aggregate's device part and it
            AdapterSet union = AdapterSet.union(aggregated.config(), aggregated.slice(0, shared.cut(), true),
                    shared.adapters());
            aggregated.slice(shared.cut(), nLayers, false).close();
            aggregated = union;
        }
        closeGlobal();
        global = aggregated;
        globalSharesServerSide = shared != null;
    }

    /** Puts the global adapters and every server-side state back to the round's start (when a copy was kept). */
    void rollBack() {
        if (roundStart == null) {
            return;
        }
        segment.states().values().forEach(roundStart::restore);
        closeGlobal();
        global = roundStart.global();
        globalSharesServerSide = false;
    }

    /** The global adapters now (the server owns them; valid until the next round end). */
    public AdapterSet global() {
        return global;
    }

    /** Mean nats per target token of the global adapters on held-out batches. */
    public double evaluate(List<Batch> heldOut) {
        return Evaluator.evaluate(model, global, heldOut).loss();
    }

    /** The server-side adapters of a device (splitlora: the shared ones). */
    public AdapterSet serverSide(String id) {
        return segment.state(device(id).id()).adapters();
    }

    public ServerDesign design() {
        return design;
    }

    public RoundSettings settings() {
        return s;
    }

    // ------------------------------------------------------------------ checkpoint

    /**
     * The state after the round that just ended, sharing tensors with the live state (write it at once).
     *
     * @param next what each device starts the next round with ({@link RoundEnd#next()})
     */
    public ServerCheckpoint checkpoint(Map<String, AdapterSet> next) {
        return ServerCheckpoints.of(this, next);
    }

    /**
     * Rebuilds the state of a completed round on a fresh server (before any registration); the round after it is
     * opened by the caller. Takes ownership of the checkpoint's server-side adapters and global set, and frees its
     * optimizer tensors; the device-side {@code next} sets stay the caller's.
     *
     * @param maxExamples each device's bound on {@code num_examples}, as at its registration
     */
    public void restore(ServerCheckpoint c, ToLongFunction<String> maxExamples) {
        ServerCheckpoints.restore(this, c, maxExamples);
    }

    void closeGlobal() {
        if (global == null) {
            return;
        }
        if (globalSharesServerSide) {
            // its server part is the live shared adapters
            global.slice(0, shared.cut(), true).close();
        } else {
            global.close();
        }
        global = null;
    }

    @Override
    public void close() {
        closeGlobal();
        if (roundStart != null) {
            roundStart.close();
        }
        devices.values().forEach(ServerDevice::close);
        java.util.Set<ServerState> closed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (ServerState st : segment.states().values()) {
            if (closed.add(st)) {
                st.optimizer().close();
                st.adapters().close();
            }
        }
        copies.forEach(LoadedModel::close);
        init.close();
    }
}
