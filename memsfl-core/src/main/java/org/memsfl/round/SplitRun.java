package org.memsfl.round;

import java.util.Map;
import org.memsfl.chat.PromptEncoder;
import org.memsfl.chat.TemplateChoice;
import org.memsfl.cost.DelayModel;
import org.memsfl.cost.MemoryModel;
import org.memsfl.data.Dataset;
import org.memsfl.fed.AggregationStrategy;
import org.memsfl.fleet.Fleet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;
import org.memsfl.settings.RunSettings;
import org.memsfl.util.BadInputException;

/**
 * One split federated run set up from its one settings record, the same for the simulator and the edge server: the
 * frozen model loaded once, the cuts planned at the planning shape and scaled to the trained depth (DESIGN.md section
 * 5), the prompt format ({@code template}), the held-out evaluation ({@link HeldOutEval}), the delay model the
 * scheduler predicts with, and the {@link SplitServer} of any {@link ServerDesign}. A simulated fleet is planned whole
 * before the model loads ({@link #simulated}); a deployment plans each device as it registers ({@link #deployed},
 * {@link #cutPlanner()}).
 *
 * <p>Owns the loaded model: {@link #close()} frees it (after every server built here is closed).
 */
public final class SplitRun implements AutoCloseable {

    private final RunSettings s;
    private final ModelConfig trained;
    private final Plan plan;              // the simulated fleet's plan (null in a deployment)
    private final Map<String, Integer> cuts;
    private final CutPlanner planner;
    private final LoraConfig lora;
    private final LoadedModel loaded;
    private final int seqLen;
    private final PromptEncoder encoder;
    private final DelayModel delay;
    private final HeldOutEval heldOut;

    private SplitRun(RunSettings s, Fleet fleet, int forcedCut, Dataset heldOutData, int partitions) {
        this.s = s;
        this.trained = ModelResolver.resolveConfig(s.model());
        this.lora = s.lora().forModel(trained); // the targets every command accepts, checked before anything runs
        ModelConfig planConfig = s.planShape() == null ? trained : ModelResolver.resolveConfig(s.planShape());
        MemoryModel planMemory = MemoryModel.of(planConfig, s.lora().forPlan(trained, planConfig), s.batchSize(),
                s.seqLen());
        try {
            this.planner = new CutPlanner(planMemory, s.planShape(), trained.nLayers(), s.safetyMargin(), forcedCut);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
        if (fleet != null) {
            this.plan = Planner.plan(planMemory, fleet, s.safetyMargin(), s.serverRecompute(), s.deviceWeights());
            this.cuts = CutPlanner.scaledCuts(plan, planConfig.nLayers(), trained.nLayers());
            if (cuts.isEmpty()) {
                throw new BadInputException("no device of fleet '" + fleet.name() + "' can hold even one layer of "
                        + planConfig.family() + " model " + (s.planShape() == null ? s.model() : s.planShape())
                        + "; see ./memsfl plan");
            }
            partitions = cuts.size();
        } else {
            this.plan = null;
            this.cuts = Map.of();
        }
        this.loaded = ModelResolver.resolve(s.model(), LayerRange.all(trained.nLayers()), s.dtype());
        this.seqLen = Math.min(s.seqLen(), loaded.config().maxSeqLen());
        // the model's chat template or the plain ones, for training, held-out loss and generation alike
        this.encoder = new PromptEncoder(loaded.requireTokenizer(), seqLen,
                new TemplateChoice(s.template()).resolveFor(s.model(), loaded.id()).orElse(null));
        this.delay = new DelayModel(loaded.config(), lora, s.batchSize(), seqLen, s.wireBytes());
        this.heldOut = new HeldOutEval(s, heldOutData, encoder, seqLen, partitions, loaded);
    }

    /**
     * The simulator's run: every device of {@code fleet} planned now, before the model loads; {@code data} is both
     * the devices' training data (one partition per fitting device, in fleet order) and the held-out set.
     *
     * @throws BadInputException when no device of the fleet can hold one layer at the planning shape
     */
    public static SplitRun simulated(RunSettings s, Fleet fleet, Dataset data) {
        return new SplitRun(s, fleet, 0, data, 0);
    }

    /**
     * The edge server's run: devices are planned as they register ({@link #cutPlanner()}), every one at
     * {@code forcedCut} when it is above 0.
     *
     * @param evalData  the held-out data the server scores (null: none)
     * @param fleetSize the devices that register, one partition of {@code evalData}'s training split each
     * @throws BadInputException a forced cut that leaves the server no layer
     */
    public static SplitRun deployed(RunSettings s, int forcedCut, Dataset evalData, int fleetSize) {
        return new SplitRun(s, null, forcedCut, evalData, fleetSize);
    }

    /**
     * A split server of {@code design} on the loaded model with the run's round settings and LoRA; sfl-v1's
     * per-device server copies are loaded from the run's model spec.
     */
    public SplitServer server(ServerDesign design, RoundGuards guards, AggregationStrategy aggregation) {
        int n = trained.nLayers();
        return new SplitServer(s.roundSettings(), guards, design, loaded.model(), lora, aggregation,
                s.serverRecompute(), cut -> ModelResolver.resolve(s.model(), LayerRange.serverSegment(cut, n), s.dtype()));
    }

    public RunSettings settings() {
        return s;
    }

    public LoadedModel loaded() {
        return loaded;
    }

    /** The run's LoRA settings in the trained model's module names (q,k,v,o name GPT-2's c_attn slices and c_proj). */
    public LoraConfig lora() {
        return lora;
    }

    /** The longest sequence trained and scored: the settings' capped at the model's context. */
    public int seqLen() {
        return seqLen;
    }

    /** How examples and prompts become ids in this run ({@code template}). */
    public PromptEncoder encoder() {
        return encoder;
    }

    /** Seconds and bytes of one local step per device, at the trained model's shape. */
    public DelayModel delay() {
        return delay;
    }

    public HeldOutEval heldOut() {
        return heldOut;
    }

    /** The cut of a device as it registers (a deployment). */
    public CutPlanner cutPlanner() {
        return planner;
    }

    /** The simulated fleet's plan at the planning shape (null in a deployment). */
    public Plan plan() {
        return plan;
    }

    /** Cut of each fitting device of the simulated fleet, in the trained model's layers, in fleet order. */
    public Map<String, Integer> cuts() {
        return cuts;
    }

    @Override
    public void close() {
        loaded.close();
    }
}
