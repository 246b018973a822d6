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
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.data.TokenizedExample;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LoadedModel;
import org.memsfl.plan.Plan;
import org.memsfl.round.DeviceData;
import org.memsfl.round.SplitRun;
import org.memsfl.settings.RunSettings;
import org.memsfl.util.BadInputException;

/**
 * What every method of one experiment shares, built once: the core {@link SplitRun} (the frozen model, read-only so
 * methods may share it, the fleet's plan, the prompt format, the held-out evaluation, the delay model) and each
 * device's tokenised partition (fixed by the seed).
 */
public final class SimContext implements AutoCloseable {

    private final RunSettings settings;
    private final SplitRun run;
    private final Fleet fleet;
    private final List<DeviceProfile> participants;
    private final Map<String, List<TokenizedExample>> partitions;

    public SimContext(RunSettings s) {
        this.settings = s;
        this.fleet = Fleets.resolve(s.fleet());
        Dataset ds = DataResolver.resolve(s.data());
        this.run = SplitRun.simulated(s, fleet, ds);
        try {
            this.participants = new ArrayList<>();
            for (DeviceProfile d : fleet.devices()) {
                if (run.cuts().containsKey(d.id())) {
                    participants.add(d);
                }
            }
            // the same partitions DeviceData gives the deployment's devices, and the held-out prompts are picked by
            List<List<TokenizedExample>> parts = run.heldOut().partitions().stream().map(run.encoder()::applyAll)
                    .toList();
            this.partitions = new LinkedHashMap<>();
            for (int i = 0; i < participants.size(); i++) {
                List<TokenizedExample> t = parts.get(i);
                if (t.isEmpty()) {
                    throw new BadInputException("device " + participants.get(i).id() + " got no usable training example"
                            + " from " + ds.name() + " (partition " + s.partition() + "); use more data or fewer devices");
                }
                partitions.put(participants.get(i).id(), t);
            }
        } catch (RuntimeException e) {
            run.close();
            throw e;
        }
    }

    /** A fresh sampler over a device's partition: every method sees the same batches in the same order. */
    public ClientData clientData(String deviceId) {
        int index = new ArrayList<>(partitions.keySet()).indexOf(deviceId);
        return new ClientData(deviceId, partitions.get(deviceId), settings.batchSize(), seqLen(),
                DeviceData.batchSeed(settings.seed(), index));
    }

    /** All participants' examples pooled (the centralized baseline). */
    public List<TokenizedExample> pooled() {
        List<TokenizedExample> all = new ArrayList<>();
        partitions.values().forEach(all::addAll);
        return all;
    }

    public MemoryModel memoryModel() {
        return MemoryModel.of(loaded().config(), lora(), settings.batchSize(), seqLen());
    }

    public DelayModel delayModel() {
        return run.delay();
    }

    /** The run's LoRA settings in the trained model's module names (q,k,v,o name GPT-2's c_attn slices and c_proj). */
    public LoraConfig lora() {
        return run.lora();
    }

    public RunSettings settings() {
        return settings;
    }

    /** The core run every method of this experiment shares. */
    public SplitRun run() {
        return run;
    }

    public LoadedModel loaded() {
        return run.loaded();
    }

    public Fleet fleet() {
        return fleet;
    }

    public Plan plan() {
        return run.plan();
    }

    /** Cut of each participating device, in the trained model's layers. */
    public Map<String, Integer> cuts() {
        return run.cuts();
    }

    public List<DeviceProfile> participants() {
        return participants;
    }

    /** The id of the participant that trains partition {@code index}. */
    public String deviceOfPartition(int index) {
        return participants.get(index).id();
    }

    public List<Batch> evalBatches() {
        return run.heldOut().batches();
    }

    /** The dataset's name (it picks the task metrics). */
    public String datasetName() {
        return run.heldOut().datasetName();
    }

    /**
     * Each participant's own held-out prompts (at most {@code perDevice}), for generation-based evaluation: the
     * held-out prompts of the device's natural keys, see {@link org.memsfl.data.DeviceHeldOut}.
     */
    public Map<String, List<HeldOutPrompt>> heldOutByDevice(int perDevice) {
        return run.heldOut().prompts(this::deviceOfPartition, perDevice);
    }

    /** How examples and prompts become ids in this run ({@code --template}). */
    public PromptEncoder encoder() {
        return run.encoder();
    }

    /** The chat template's name, or plain. */
    public String templateName() {
        return encoder().usesChatTemplate() ? encoder().template().name() : TemplateChoice.PLAIN;
    }

    public int seqLen() {
        return run.seqLen();
    }

    @Override
    public void close() {
        run.close();
    }
}
