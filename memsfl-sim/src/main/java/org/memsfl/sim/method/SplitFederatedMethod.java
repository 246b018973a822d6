package org.memsfl.sim.method;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.memsfl.cost.StepTiming;
import org.memsfl.engine.DType;
import org.memsfl.fed.AggregationStrategy;
import org.memsfl.fed.ClientUpdate;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import org.memsfl.schedule.Job;
import org.memsfl.schedule.SchedulingPolicy;
import org.memsfl.sim.ClientData;
import org.memsfl.sim.SimContext;
import org.memsfl.split.DeviceSegment;
import org.memsfl.split.GradientPayload;
import org.memsfl.split.ServerSegment;
import org.memsfl.split.ServerState;
import org.memsfl.train.AdamW;
import org.memsfl.train.LrSchedule;
import org.memsfl.train.StepResult;

/**
 * Split federated LoRA over heterogeneous cuts, in three variants that differ in what the server holds:
 * <ul>
 * <li>{@code memsfl} (Chen et al. 2025): ONE frozen model; per-device server-side adapters; devices served one at a
 * time in the scheduler's order; adapters aggregated per layer over all devices.</li>
 * <li>{@code sfl-v1} (SplitFed-V1, Thapa et al. 2022, heterogeneous as in FedBERT): a separate copy of layers
 * [cut_u, N) per device, served in parallel; the same per-layer aggregation, so the same training math as memsfl.</li>
 * <li>{@code splitlora} (Lin et al. 2024): every device cut at the weakest device's cut; one shared server-side
 * adapter updated by devices in turn; only device-side adapters are aggregated.</li>
 * </ul>
 * Devices run one after another in this process, so results never depend on thread timing.
 */
public final class SplitFederatedMethod implements FederatedMethod {

    /** Which of the three server designs. */
    public enum Variant {
        MEMSFL("memsfl"), SFL_V1("sfl-v1"), SPLITLORA("splitlora");

        private final String id;

        Variant(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    private final Variant variant;
    private final SimContext ctx;
    private final AggregationStrategy aggregation;
    private final SchedulingPolicy policy;
    private final SplittableRandom orderRng;
    private final LrSchedule schedule;
    private final DType wire;
    private final Map<String, DeviceSegment> devices = new LinkedHashMap<>();
    private final Map<String, ClientData> data = new LinkedHashMap<>();
    private final Map<String, Integer> cuts = new LinkedHashMap<>();
    private final ServerSegment server;
    private final List<LoadedModel> serverCopies = new ArrayList<>();
    private AdapterSet global;
    private List<Job> stepJobs;

    public SplitFederatedMethod(Variant variant, SimContext ctx, AggregationStrategy aggregation, SchedulingPolicy policy) {
        this.variant = variant;
        this.ctx = ctx;
        this.aggregation = aggregation;
        this.policy = policy;
        this.orderRng = new SplittableRandom(ctx.settings().seed() + 17);
        this.schedule = new LrSchedule(ctx.settings().lr(), ctx.settings().warmup(), 0, false);
        this.wire = ctx.settings().wireBytes() == 2 ? DType.BF16 : DType.F32;
        // memsfl's sequential server can spend its idle compute on recomputation; the baselines run as published
        this.server = new ServerSegment(0, variant == Variant.MEMSFL && ctx.settings().serverRecompute());
        DecoderModel model = ctx.loaded().model();
        int n = model.config().nLayers();
        int minCut = ctx.cuts().values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        AdapterSet init = AdapterSet.init(model.config(), ctx.lora(), LayerRange.all(n), ctx.settings().seed());
        AdamW.Settings opt = AdamW.Settings.defaults();
        ServerState shared = null;
        for (DeviceProfile d : ctx.participants()) {
            int cut = variant == Variant.SPLITLORA ? minCut : ctx.cuts().get(d.id());
            cuts.put(d.id(), cut);
            devices.put(d.id(), new DeviceSegment(d.id(), cut, model, init.slice(0, cut, true).copy(), opt));
            data.put(d.id(), ctx.clientData(d.id()));
            ServerState state;
            if (variant == Variant.SPLITLORA) {
                if (shared == null) {
                    AdapterSet s = init.slice(cut, n, false).copy();
                    shared = new ServerState(cut, model, s, new AdamW(s.namedParameters(), opt));
                }
                state = shared;
            } else {
                AdapterSet s = init.slice(cut, n, false).copy();
                DecoderModel serverModel = model;
                if (variant == Variant.SFL_V1) {
                    // SFL-V1 keeps its own server-side submodel per device: a real copy of layers [cut, N)
                    LoadedModel copy = ModelResolver.resolve(ctx.settings().model(), LayerRange.serverSegment(cut, n), DType.F32);
                    serverCopies.add(copy);
                    serverModel = copy.model();
                }
                state = new ServerState(cut, serverModel, s, new AdamW(s.namedParameters(), opt));
            }
            server.register(d.id(), state);
        }
        global = init;
    }

    @Override
    public String name() {
        return variant.id();
    }

    @Override
    public RoundOutcome round(int round) {
        Losses losses = new Losses();
        long[] up = {0};
        long[] down = {0};
        int steps = 0;
        List<String> order = new ArrayList<>(devices.keySet());
        long seed = ctx.settings().seed();
        for (String id : order) {
            // dropout streams fixed by (seed, device, round): independent of the serving order and of threads
            devices.get(id).beginRound(seed, round);
            if (variant != Variant.SPLITLORA) {
                server.state(id).beginRound(seed, id, round);
            }
        }
        if (variant == Variant.SPLITLORA) {
            server.states().values().iterator().next().beginRound(seed, "splitlora-shared", round);
        }
        for (int step = 0; step < ctx.settings().localSteps(); step++) {
            for (String id : serveOrder(order)) {
                DeviceSegment dev = devices.get(id);
                ServerState st = server.state(id);
                double maxNorm = ctx.settings().maxGradNorm();
                StepResult r = dev.localStep(data.get(id).nextBatch(), p -> {
                    up[0] += p.wireBytes(wire);
                    GradientPayload g = server.process(p, schedule.at(st.optimizer().steps() + 1), maxNorm);
                    down[0] += g.wireBytes(wire);
                    return g;
                }, schedule.at(dev.optimizer().steps() + 1), maxNorm);
                losses.add(r.loss(), r.targetTokens());
                steps++;
            }
        }
        aggregate();
        for (DeviceSegment d : devices.values()) {
            long adapterBytes = d.adapters().numParameters() * 4;
            up[0] += adapterBytes;
            down[0] += adapterBytes;
        }
        return new RoundOutcome(losses.mean(), steps, up[0], down[0], List.copyOf(devices.keySet()));
    }

    /** memsfl serves in the scheduler's order for this step's jobs; the baselines in device order. */
    private List<String> serveOrder(List<String> ids) {
        if (variant != Variant.MEMSFL) {
            return ids;
        }
        if (stepJobs == null) {
            // the delay model prices every local step alike: build the step's jobs once
            stepJobs = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                DeviceProfile d = ctx.fleet().device(ids.get(i)).orElseThrow();
                StepTiming t = ctx.delayModel().step(d, ctx.fleet().server(), cuts.get(ids.get(i)),
                        ctx.settings().serverRecompute());
                stepJobs.add(new Job(i, t.release(), t.server(), t.tail()));
            }
        }
        List<Job> jobs = stepJobs;
        List<String> out = new ArrayList<>();
        for (int i : policy.order(jobs, orderRng)) {
            out.add(ids.get(i));
        }
        return out;
    }

    private void aggregate() {
        List<ClientUpdate> updates = new ArrayList<>();
        for (Map.Entry<String, DeviceSegment> e : devices.entrySet()) {
            AdapterSet serverSide = variant == Variant.SPLITLORA
                    ? e.getValue().adapters().slice(0, 0, false) : server.state(e.getKey()).adapters();
            updates.add(new ClientUpdate(e.getKey(), cuts.get(e.getKey()), data.get(e.getKey()).numExamples(),
                    e.getValue().adapters(), serverSide));
        }
        AdapterSet agg = aggregation.aggregateInPlace(updates);
        if (variant == Variant.SPLITLORA) {
            ServerState shared = server.states().values().iterator().next();
            agg = AdapterSet.union(agg.config(), agg.slice(0, shared.cut(), true), shared.adapters());
        }
        if (global != null && global != agg) {
            closeGlobal();
        }
        global = agg;
    }

    /** Frees the previous global set, except tensors still shared with the live shared server adapters. */
    private void closeGlobal() {
        if (variant == Variant.SPLITLORA) {
            ServerState shared = server.states().values().iterator().next();
            global.slice(0, shared.cut(), true).close();
        } else {
            global.close();
        }
    }

    @Override
    public AdapterSet globalAdapters() {
        return global;
    }

    /** Cut of each device under this variant. */
    public Map<String, Integer> cuts() {
        return cuts;
    }

    @Override
    public void close() {
        devices.values().forEach(DeviceSegment::close);
        serverCopies.forEach(LoadedModel::close);
        closeGlobal();
    }
}
