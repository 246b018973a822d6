package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.data.BatchSampler;
import org.memsfl.lora.AdapterSet;
import org.memsfl.round.CentralizedRound;
import org.memsfl.sim.SimContext;
import org.memsfl.train.StepResult;

/**
 * The in-process driver of the core {@link CentralizedRound}: the participants' partitions pooled into one sampler,
 * which feeds the round its batches.
 */
public final class CentralizedMethod implements FederatedMethod {

    private final CentralizedRound round;
    private final BatchSampler sampler;

    public CentralizedMethod(SimContext ctx) {
        this.round = new CentralizedRound(ctx.settings().roundSettings(), ctx.loaded().model(), ctx.lora(),
                ctx.participants().size());
        this.sampler = new BatchSampler(ctx.pooled(), ctx.settings().batchSize(), ctx.seqLen(), ctx.settings().seed());
    }

    @Override
    public RoundOutcome round(int r) {
        Losses losses = new Losses();
        List<StepResult> steps = round.round(sampler::next);
        steps.forEach(s -> losses.add(s.loss(), s.targetTokens()));
        return new RoundOutcome(losses.mean(), steps.size(), 0, 0, List.of("server"));
    }

    @Override
    public AdapterSet globalAdapters() {
        return round.adapters();
    }

    @Override
    public void close() {
        round.close();
    }
}
