package org.memsfl.train;

import org.bytedeco.pytorch.Tensor;
import org.memsfl.data.Batch;
import org.memsfl.engine.NativeScope;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;

/**
 * Centralized LoRA fine-tuning of a whole model: forward, loss, backward into the adapters only, clip, AdamW.
 * Every step runs in its own native scope, so memory stays flat however long the run.
 */
public final class LoraTrainer implements AutoCloseable {

    private final DecoderModel model;
    private final AdapterSet adapters;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final double maxGradNorm;

    public LoraTrainer(DecoderModel model, AdapterSet adapters, AdamW.Settings settings, LrSchedule schedule,
                       double maxGradNorm) {
        this.model = model;
        this.adapters = adapters;
        this.optimizer = new AdamW(adapters.namedParameters(), settings);
        this.schedule = schedule;
        this.maxGradNorm = maxGradNorm;
    }

    public StepResult step(Batch batch) {
        try (NativeScope scope = new NativeScope()) {
            Tensor ids = BatchTensors.inputIds(batch);
            Tensor targets = BatchTensors.targets(batch);
            Tensor logits = model.forward(ids, ForwardContext.training(adapters));
            Tensor loss = Loss.crossEntropy(logits, targets);
            optimizer.zeroGrad();
            loss.backward();
            double norm = GradClip.clip(adapters.parameters(), maxGradNorm);
            double lr = schedule.at(optimizer.steps() + 1);
            optimizer.step(lr);
            return new StepResult(loss.item().toDouble(), BatchTensors.countTargets(batch), norm, lr);
        }
    }

    public AdapterSet adapters() {
        return adapters;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    @Override
    public void close() {
        optimizer.close();
    }
}
