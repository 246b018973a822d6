package org.memsfl.sim.method;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.fed.AggregationStrategy;
import org.memsfl.lora.AdapterSet;
import org.memsfl.round.FedLoraRound;
import org.memsfl.sim.ClientData;
import org.memsfl.sim.SimContext;
import org.memsfl.train.StepResult;

/**
 * The in-process driver of the core {@link FedLoraRound} (FedAvg of LoRA): every participant's local steps in turn,
 * step by step, then the round's aggregation. Devices whose memory cannot hold the whole model are not participants.
 */
public final class FedLoraMethod implements FederatedMethod {

    private final FedLoraRound round;
    private final Map<String, ClientData> data = new LinkedHashMap<>();
    private final int localSteps;

    /** @param participants devices that can hold the whole model (the others are listed as dropped by the runner) */
    public FedLoraMethod(SimContext ctx, AggregationStrategy aggregation, List<String> participants) {
        this.localSteps = ctx.settings().localSteps();
        this.round = new FedLoraRound(ctx.settings().roundSettings(), ctx.loaded().model(), ctx.lora(), aggregation);
        for (String id : participants) {
            ClientData mine = ctx.clientData(id);
            round.register(id, mine.numExamples());
            data.put(id, mine);
        }
    }

    @Override
    public RoundOutcome round(int r) {
        Losses losses = new Losses();
        int steps = 0;
        for (int s = 0; s < localSteps; s++) {
            for (Map.Entry<String, ClientData> e : data.entrySet()) {
                StepResult res = round.localStep(e.getKey(), e.getValue().nextBatch());
                losses.add(res.loss(), res.targetTokens());
                steps++;
            }
        }
        if (data.isEmpty()) {
            return new RoundOutcome(Double.NaN, 0, 0, 0, List.of());
        }
        long bytes = 0; // each client's whole adapters up, the global ones down (float32)
        for (String id : data.keySet()) {
            bytes += round.adapters(id).numParameters() * 4;
        }
        List<String> participants = round.endRound();
        return new RoundOutcome(losses.mean(), steps, bytes, bytes, participants);
    }

    @Override
    public AdapterSet globalAdapters() {
        return round.global();
    }

    @Override
    public void close() {
        round.close();
    }
}
