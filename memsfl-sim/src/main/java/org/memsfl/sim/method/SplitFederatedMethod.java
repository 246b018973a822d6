package org.memsfl.sim.method;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.memsfl.engine.DType;
import org.memsfl.fed.AggregationStrategy;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import org.memsfl.round.RoundEnd;
import org.memsfl.round.RoundGuards;
import org.memsfl.round.ServerDesign;
import org.memsfl.round.SplitDevice;
import org.memsfl.round.SplitServer;
import org.memsfl.schedule.DeviceTiming;
import org.memsfl.schedule.RoundResult;
import org.memsfl.schedule.RoundSimulator;
import org.memsfl.schedule.SchedulingPolicy;
import org.memsfl.schedule.ServerSlot;
import org.memsfl.schedule.StepDispatcher;
import org.memsfl.sim.ClientData;
import org.memsfl.sim.SimContext;
import org.memsfl.sim.timing.RoundClock;
import org.memsfl.quant.WeightStorage;
import org.memsfl.settings.RunSettings;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.GradientPayload;
import org.memsfl.split.WireFormat;
import org.memsfl.train.StepResult;

/**
 * The in-process driver of the core split round ({@link SplitServer}, {@link SplitDevice}): every device of the fleet
 * and the server in this process, one after another, so results never depend on thread timing. The same objects run
 * behind the gRPC edge server and device processes; only the transport differs.
 *
 * <p>A sequential server (memsfl with its scheduler, splitlora first come first served) serves the round's steps in
 * the order of its simulated round ({@link RoundSimulator#serve}): each device's steps arrive at their predicted
 * release times (the delay model), and whenever the server is free the {@link StepDispatcher}, the one the edge server
 * asks, picks among those that have arrived; a fast device's step 2 may come before a slow device's step 1. That
 * order is the one served, recorded in the round's outcome, and timed as the round's simulated seconds. sfl-v1's
 * per-device copies serve in parallel and have no order to choose: device order, step by step. A device may be left
 * out of a round ({@link #leaveOut}): it takes no step, and the round ends without it, as a device that missed its
 * deadline.
 */
public final class SplitFederatedMethod implements FederatedMethod {

    /** Which of the three server designs (see {@link ServerDesign}). */
    public enum Variant {
        MEMSFL(ServerDesign.MEMSFL), SFL_V1(ServerDesign.SFL_V1), SPLITLORA(ServerDesign.SPLITLORA);

        private final ServerDesign design;

        Variant(ServerDesign design) {
            this.design = design;
        }

        public ServerDesign design() {
            return design;
        }
    }

    private final ServerDesign design;
    private final SimContext ctx;
    private final WireFormat wire;
    /** The quantized device-side copy of the frozen layers (null when devices share the float model). */
    private LoadedModel deviceCopy;
    private final SplitServer server;
    private final StepDispatcher<Void> dispatcher;
    private final String policy;
    private final RoundClock clock;
    private final Map<String, SplitDevice> devices = new LinkedHashMap<>();
    private final Map<String, ClientData> data = new LinkedHashMap<>();
    private final Map<String, Integer> cuts = new LinkedHashMap<>();
    private final Map<String, DeviceProfile> profiles = new LinkedHashMap<>();
    private final Map<Integer, Set<String>> absent = new LinkedHashMap<>();
    private Map<String, AdapterSet> next = Map.of();

    public SplitFederatedMethod(Variant variant, SimContext ctx, AggregationStrategy aggregation, SchedulingPolicy policy) {
        this.design = variant.design();
        this.ctx = ctx;
        RunSettings s = ctx.settings();
        this.wire = s.wire();
        DecoderModel model = ctx.loaded().model();
        // memsfl's sequential server can spend its idle compute on recomputation; the baselines run as published
        this.server = ctx.run().server(design, RoundGuards.defaults(), aggregation);
        this.dispatcher = new StepDispatcher<>(policy, s.seed());
        this.policy = policy.name();
        this.clock = new RoundClock(model.config(), ctx.lora(), ctx.delayModel(), ctx.fleet(), s.localSteps(), s.seed());
        int minCut = ctx.cuts().values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        DecoderModel deviceModel = deviceModel(model);
        for (DeviceProfile d : ctx.participants()) {
            int cut = design.sharedServerState() ? minCut : ctx.cuts().get(d.id());
            cuts.put(d.id(), cut);
            profiles.put(d.id(), d);
            ClientData mine = ctx.clientData(d.id());
            // the simulator knows each partition: a device's num_examples is exactly its size
            server.register(d.id(), cut, mine.numExamples());
            devices.put(d.id(), new SplitDevice(d.id(), cut, deviceModel, server.initialDeviceSide(d.id()).copy(),
                    server.settings()));
            data.put(d.id(), mine);
        }
    }

    /** Leaves a device out of {@code round}: it takes no step, and the round ends without it (a missed deadline). */
    public void leaveOut(String deviceId, int round) {
        if (!devices.containsKey(deviceId)) {
            throw new IllegalArgumentException("unknown device '" + deviceId + "'; devices: " + devices.keySet());
        }
        absent.computeIfAbsent(round, r -> new HashSet<>()).add(deviceId);
    }

    @Override
    public RoundOutcome round(int round) {
        Set<String> out = absent.getOrDefault(round, Set.of());
        List<String> in = new ArrayList<>();
        server.beginRound(round);
        for (Map.Entry<String, SplitDevice> e : devices.entrySet()) {
            if (!out.contains(e.getKey())) {
                in.add(e.getKey());
                // round 1 starts from the device's own initial adapters; later rounds from what the round end handed out
                e.getValue().beginRound(round, next.getOrDefault(e.getKey(), e.getValue().adapters()));
            }
        }
        RoundResult schedule = schedule(round, in);
        Losses losses = new Losses();
        long[] bytes = {0, 0}; // up, down
        int steps = 0;
        for (String[] served : serveOrder(in, schedule)) {
            String id = served[0];
            int step = Integer.parseInt(served[1]);
            StepResult r = devices.get(id).localStep(data.get(id).nextBatch(), p -> {
                // both directions are rounded through the wire format: each side trains on what it would decode
                bytes[0] += p.wireBytes(wire);
                ActivationPayload sent = wire == WireFormat.FP32 ? p : new ActivationPayload(p.deviceId(), p.cut(),
                        wire.roundTrip(p.hidden()), p.targets(), p.lengths());
                GradientPayload g = server.serve(sent, step);
                bytes[1] += g.wireBytes(wire);
                if (wire == WireFormat.FP32) {
                    return g;
                }
                GradientPayload back = new GradientPayload(wire.roundTrip(g.grad()), g.loss(), g.targetTokens());
                g.grad().close();
                return back;
            });
            losses.add(r.loss(), r.targetTokens());
            steps++;
        }
        for (String id : in) {
            server.upload(id, round, devices.get(id).adapters(), data.get(id).numExamples());
            long adapterBytes = devices.get(id).adapters().numParameters() * 4;
            bytes[0] += adapterBytes;
            bytes[1] += adapterBytes;
        }
        server.leaveOutLate();
        RoundEnd end = server.endRound();
        next = end.next();
        if (schedule != null && !end.serveOrder().equals(schedule.serveOrder())) {
            throw new IllegalStateException("round " + round + " served " + end.serveOrder() + ", not its simulated order "
                    + schedule.serveOrder());
        }
        double seconds = Double.NaN;
        if (schedule != null) {
            Map<String, Integer> inCuts = new LinkedHashMap<>();
            in.forEach(id -> inCuts.put(id, cuts.get(id)));
            seconds = schedule.roundTime() + clock.exchange(inCuts);
        }
        return new RoundOutcome(losses.mean(), steps, bytes[0], bytes[1], end.participants(), end.serveOrder(),
                schedule, seconds);
    }

    /**
     * The frozen layers the devices run: the shared model itself in float32 storage; otherwise one read-only copy of
     * the embedding and layers [0, max cut) whose linear weights are stored as {@code --device-weights} (each device
     * uses its first cut_u layers), while the server keeps its float model.
     */
    private DecoderModel deviceModel(DecoderModel model) {
        WeightStorage storage = ctx.settings().deviceWeights();
        if (storage == WeightStorage.FP32) {
            return model;
        }
        int maxCut = ctx.cuts().values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        // each layer weight is stored as it is read: the float copy of the segment never exists whole
        deviceCopy = ModelResolver.resolve(ctx.settings().model(), LayerRange.deviceSegment(maxCut), DType.F32, storage);
        return deviceCopy.model();
    }

    /**
     * A sequential server's round as the dispatcher serves it, simulated with the predicted timings of the devices in
     * the round; the dispatcher's round begins with every registered device's timing, as the edge server's does. Null
     * for sfl-v1's parallel server, or a round without devices.
     */
    private RoundResult schedule(int round, List<String> in) {
        if (!design.sequential() || in.isEmpty()) {
            return null;
        }
        Map<String, DeviceTiming> timings = server.timings(ctx.delayModel(), profiles, ctx.fleet().server());
        dispatcher.beginRound(round, timings, ctx.settings().localSteps());
        Map<String, DeviceTiming> inRound = new LinkedHashMap<>();
        in.forEach(id -> inRound.put(id, timings.get(id)));
        return RoundSimulator.serve(inRound, ctx.settings().localSteps(), dispatcher, policy);
    }

    /** (device, local step from 1) in serving order: the schedule's slots; without one, device order step by step. */
    private List<String[]> serveOrder(List<String> in, RoundResult schedule) {
        List<String[]> order = new ArrayList<>();
        if (schedule != null) {
            for (ServerSlot slot : schedule.slots()) {
                order.add(new String[] {schedule.devices().get(slot.device()), Integer.toString(slot.step() + 1)});
            }
            return order;
        }
        for (int k = 1; k <= ctx.settings().localSteps(); k++) {
            for (String id : in) {
                order.add(new String[] {id, Integer.toString(k)});
            }
        }
        return order;
    }

    @Override
    public AdapterSet globalAdapters() {
        return server.global();
    }

    /** Cut of each device under this variant. */
    public Map<String, Integer> cuts() {
        return cuts;
    }

    @Override
    public void close() {
        devices.values().forEach(SplitDevice::close);
        server.close();
        if (deviceCopy != null) {
            deviceCopy.close();
        }
    }
}
