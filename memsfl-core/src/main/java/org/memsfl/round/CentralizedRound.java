package org.memsfl.round;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.memsfl.settings.RoundSettings;
import org.memsfl.data.Batch;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.train.AdamW;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.StepResult;

/**
 * The round of the centralized quality reference: the participants' data pooled on one machine and fine-tuned with
 * LoRA on every layer by one AdamW at the {@link RoundSettings#schedule}, taking as many batches per round as the
 * split methods take over all devices ({@code localSteps x devices}), so that every method sees the same number of
 * training samples.
 */
public final class CentralizedRound implements AutoCloseable {

    private final LoraTrainer trainer;
    private final int stepsPerRound;

    /**
     * @param devices devices whose data is pooled (the steps of one round are {@code localSteps x devices})
     * @throws IllegalArgumentException when {@code devices <= 0}
     */
    public CentralizedRound(RoundSettings settings, DecoderModel model, LoraConfig lora, int devices) {
        if (devices <= 0) {
            throw new IllegalArgumentException("the centralized round pools at least one device's data, got " + devices);
        }
        AdapterSet init = AdapterSet.init(model.config(), lora, LayerRange.all(model.config().nLayers()),
                settings.seed());
        this.trainer = new LoraTrainer(model, init, AdamW.Settings.defaults(), settings.schedule(),
                settings.maxGradNorm());
        this.stepsPerRound = settings.localSteps() * devices;
    }

    /** One round: {@code localSteps x devices} steps, each on the next pooled batch; their results in order. */
    public List<StepResult> round(Supplier<Batch> batches) {
        List<StepResult> out = new ArrayList<>(stepsPerRound);
        for (int s = 0; s < stepsPerRound; s++) {
            out.add(trainer.step(batches.get()));
        }
        return out;
    }

    /** The adapters trained so far (layers [0, N)). */
    public AdapterSet adapters() {
        return trainer.adapters();
    }

    @Override
    public void close() {
        trainer.close();
    }
}
