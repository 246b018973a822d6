package org.memsfl.train;

import org.bytedeco.pytorch.Tensor;
import org.memsfl.data.Batch;
import org.memsfl.engine.NativeScope;
import org.memsfl.lora.AdapterSet;
import org.memsfl.engine.Rng;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.DropoutKey;
import org.memsfl.model.ForwardContext;

/**
 * Centralized LoRA fine-tuning of a whole model: forward, loss, backward into the adapters only, clip, AdamW. The head
 * and loss run in chunks of tokens ({@link ChunkedHeadLoss#backward}), which is faster than one (B, T, vocab) logits
 * tensor and holds less.
 * Every step runs in its own native scope, so memory stays flat however long the run.
 */
public final class LoraTrainer implements AutoCloseable {

    private final DecoderModel model;
    private final AdapterSet adapters;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final double maxGradNorm;
    private final long seed;

    public LoraTrainer(DecoderModel model, AdapterSet adapters, AdamW.Settings settings, LrSchedule schedule,
                       double maxGradNorm) {
        this(model, adapters, settings, schedule, maxGradNorm, 0);
    }

    /**
     * @param seed seeds the base model's dropout masks ({@link DropoutKey}): step s draws with
     *             {@code Rng.seed(seed, "model-dropout", s)}
     */
    public LoraTrainer(DecoderModel model, AdapterSet adapters, AdamW.Settings settings, LrSchedule schedule,
                       double maxGradNorm, long seed) {
        this.seed = seed;
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
            ForwardContext ctx = ForwardContext.training(adapters, null,
                    new DropoutKey(Rng.seed(seed, DropoutKey.STREAM, optimizer.steps()), 0));
            Tensor hidden = model.forwardLayers(model.embed(ids, ctx), 0, model.config().nLayers(), ctx);
            optimizer.zeroGrad();
            double loss = ChunkedHeadLoss.backward(model, hidden, targets, ctx);
            double norm = GradClip.clip(adapters.parameters(), maxGradNorm);
            double lr = schedule.at(optimizer.steps() + 1);
            optimizer.step(lr);
            return new StepResult(loss, BatchTensors.countTargets(batch), norm, lr);
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
