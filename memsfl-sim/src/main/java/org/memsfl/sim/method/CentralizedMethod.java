package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.data.BatchSampler;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.sim.SimContext;
import org.memsfl.train.AdamW;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.LrSchedule;
import org.memsfl.train.StepResult;

/**
 * The quality reference: the participants' data pooled on one machine and fine-tuned with LoRA, taking as many
 * batches per round as the split methods take over all devices (the same number of training samples).
 */
public final class CentralizedMethod implements FederatedMethod {

    private final LoraTrainer trainer;
    private final BatchSampler sampler;
    private final int stepsPerRound;

    public CentralizedMethod(SimContext ctx) {
        DecoderModel model = ctx.loaded().model();
        int n = model.config().nLayers();
        AdapterSet init = AdapterSet.init(model.config(), ctx.lora(), LayerRange.all(n), ctx.settings().seed());
        this.trainer = new LoraTrainer(model, init, AdamW.Settings.defaults(),
                new LrSchedule(ctx.settings().lr(), ctx.settings().warmup(), 0, false), ctx.settings().maxGradNorm());
        this.sampler = new BatchSampler(ctx.pooled(), ctx.settings().batchSize(), ctx.seqLen(), ctx.settings().seed());
        this.stepsPerRound = ctx.settings().localSteps() * ctx.participants().size();
    }

    @Override
    public RoundOutcome round(int round) {
        Losses losses = new Losses();
        for (int s = 0; s < stepsPerRound; s++) {
            StepResult r = trainer.step(sampler.next());
            losses.add(r.loss(), r.targetTokens());
        }
        return new RoundOutcome(losses.mean(), stepsPerRound, 0, 0, List.of("server"));
    }

    @Override
    public AdapterSet globalAdapters() {
        return trainer.adapters();
    }

    @Override
    public void close() {
        trainer.close();
    }
}
