package org.memsfl.sim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.chat.PromptEncoder;
import org.memsfl.chat.TemplateChoice;
import org.memsfl.cost.DelayModel;
import org.memsfl.cost.MemoryModel;
import org.memsfl.data.Batch;
import org.memsfl.data.DataResolver;
import org.memsfl.data.Dataset;
import org.memsfl.data.DeviceHeldOut;
import org.memsfl.data.Example;
import org.memsfl.data.ExampleEncoder;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.data.HeldOut;
import org.memsfl.data.TokenizedExample;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;
import org.memsfl.round.CutPlanner;
import org.memsfl.round.DeviceData;
import org.memsfl.settings.RunSettings;
import org.memsfl.util.BadInputException;

/**
 * What every method of one experiment shares, built once: the frozen model (read-only, so methods may share it),
 * the fleet and its plan, each device's tokenised partition (fixed by the seed), and the held-out batches.
 */
public final class SimContext implements AutoCloseable {

    private final RunSettings settings;
    private final LoadedModel loaded;
    private final Fleet fleet;
    private final Plan plan;
    private final Map<String, Integer> cuts;
    private final List<DeviceProfile> participants;
    private final Map<String, List<TokenizedExample>> partitions;
    private final List<Batch> evalBatches;
    private final int seqLen;
    private final Dataset dataset;
    private final List<List<Example>> trainParts;
    private final PromptEncoder encoder;

    public SimContext(RunSettings s) {
        this.settings = s;
        this.fleet = Fleets.resolve(s.fleet());
        Dataset ds = DataResolver.resolve(s.data());
        ModelConfig trained = ModelResolver.resolveConfig(s.model());
        s.lora().forModel(trained); // the targets every command accepts, checked before anything runs
        ModelConfig planConfig = s.planShape() == null ? trained : ModelResolver.resolveConfig(s.planShape());
        this.plan = Planner.plan(org.memsfl.cost.MemoryModel.of(planConfig, s.lora().forPlan(trained, planConfig),
                s.batchSize(), s.seqLen()), fleet, s.safetyMargin(), s.serverRecompute(), s.deviceWeights());
        this.cuts = CutPlanner.scaledCuts(plan, planConfig.nLayers(), trained.nLayers());
        this.participants = new ArrayList<>();
        for (DeviceProfile d : fleet.devices()) {
            if (cuts.containsKey(d.id())) {
                participants.add(d);
            }
        }
        if (participants.isEmpty()) {
            throw new BadInputException("no device of fleet '" + fleet.name() + "' can hold even one layer of " + planConfig
                    .family() + " model " + (s.planShape() == null ? s.model() : s.planShape()) + "; see ./memsfl plan");
        }
        this.loaded = ModelResolver.resolve(s.model(), LayerRange.all(trained.nLayers()), s.dtype());
        this.seqLen = Math.min(s.seqLen(), trained.maxSeqLen());
        // --template: the model's chat template or the plain ones, for training, held-out loss and generation alike
        this.encoder = new PromptEncoder(loaded.requireTokenizer(), seqLen,
                new TemplateChoice(s.template()).resolveFor(s.model(), loaded.id()).orElse(null));
        ExampleEncoder tok = encoder;
        // the same partitions DeviceData gives the deployment's devices; the raw examples stay for per-device held-out prompts
        List<List<Example>> rawParts = DeviceData.rawPartitions(ds, s.partition(), participants.size(), s.seed());
        this.dataset = ds;
        this.trainParts = rawParts;
        List<List<TokenizedExample>> parts = rawParts.stream().map(tok::applyAll).toList();
        this.partitions = new LinkedHashMap<>();
        for (int i = 0; i < participants.size(); i++) {
            List<TokenizedExample> t = parts.get(i);
            if (t.isEmpty()) {
                throw new BadInputException("device " + participants.get(i).id() + " got no usable training example from "
                        + ds.name() + " (partition " + s.partition() + "); use more data or fewer devices");
            }
            partitions.put(participants.get(i).id(), t);
        }
        this.evalBatches = HeldOut.batches(ds, encoder, s.evalExamples(), s.batchSize(), seqLen);
    }

    /** A fresh sampler over a device's partition: every method sees the same batches in the same order. */
    public ClientData clientData(String deviceId) {
        int index = new ArrayList<>(partitions.keySet()).indexOf(deviceId);
        return new ClientData(deviceId, partitions.get(deviceId), settings.batchSize(), seqLen,
                DeviceData.batchSeed(settings.seed(), index));
    }

    /** All participants' examples pooled (the centralized baseline). */
    public List<TokenizedExample> pooled() {
        List<TokenizedExample> all = new ArrayList<>();
        partitions.values().forEach(all::addAll);
        return all;
    }

    public MemoryModel memoryModel() {
        return MemoryModel.of(loaded.config(), lora(), settings.batchSize(), seqLen);
    }

    public DelayModel delayModel() {
        return new DelayModel(loaded.config(), lora(), settings.batchSize(), seqLen, settings.wireBytes());
    }

    /** The run's LoRA settings in the trained model's module names (q,k,v,o name GPT-2's c_attn slices and c_proj). */
    public LoraConfig lora() {
        return settings.lora().forModel(loaded.config());
    }

    public RunSettings settings() {
        return settings;
    }

    public LoadedModel loaded() {
        return loaded;
    }

    public Fleet fleet() {
        return fleet;
    }

    public Plan plan() {
        return plan;
    }

    /** Cut of each participating device, in the trained model's layers. */
    public Map<String, Integer> cuts() {
        return cuts;
    }

    public List<DeviceProfile> participants() {
        return participants;
    }

    public List<Batch> evalBatches() {
        return evalBatches;
    }

    /** The dataset's name (it picks the task metrics). */
    public String datasetName() {
        return dataset.name();
    }

    /**
     * Each participant's own held-out prompts (at most {@code perDevice}), for generation-based evaluation: the
     * held-out prompts of the device's natural keys, see {@link DeviceHeldOut}.
     */
    public Map<String, List<HeldOutPrompt>> heldOutByDevice(int perDevice) {
        List<String> ids = participants.stream().map(DeviceProfile::id).toList();
        return DeviceHeldOut.split(trainParts, ids, dataset.eval(), settings.partition(), settings.seed(), perDevice);
    }

    /** How examples and prompts become ids in this run ({@code --template}). */
    public PromptEncoder encoder() {
        return encoder;
    }

    /** The chat template's name, or plain. */
    public String templateName() {
        return encoder.usesChatTemplate() ? encoder.template().name() : TemplateChoice.PLAIN;
    }

    public int seqLen() {
        return seqLen;
    }

    @Override
    public void close() {
        loaded.close();
    }
}
