package org.memsfl.sim.method;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.fed.AggregationStrategy;
import org.memsfl.fed.ClientUpdate;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.sim.ClientData;
import org.memsfl.sim.SimContext;
import org.memsfl.train.AdamW;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.LrSchedule;
import org.memsfl.train.StepResult;

/**
 * FedAvg of LoRA (McMahan et al. 2017 applied to adapters): each device holds the whole model and trains all its
 * adapters locally; the server only averages adapters. Devices whose memory cannot hold the whole model drop out.
 */
public final class FedLoraMethod implements FederatedMethod {

    private final Map<String, LoraTrainer> trainers = new LinkedHashMap<>();
    private final Map<String, ClientData> data = new LinkedHashMap<>();
    private final AggregationStrategy aggregation;
    private final int localSteps;
    private final int nLayers;
    private AdapterSet global;

    /** @param participants devices that can hold the whole model (the others are listed as dropped by the runner) */
    public FedLoraMethod(SimContext ctx, AggregationStrategy aggregation, List<String> participants) {
        this.aggregation = aggregation;
        this.localSteps = ctx.settings().localSteps();
        DecoderModel model = ctx.loaded().model();
        this.nLayers = model.config().nLayers();
        AdapterSet init = AdapterSet.init(model.config(), ctx.lora(), LayerRange.all(nLayers), ctx.settings().seed());
        LrSchedule schedule = new LrSchedule(ctx.settings().lr(), ctx.settings().warmup(), 0, false);
        for (String id : participants) {
            trainers.put(id, new LoraTrainer(model, init.copy(), AdamW.Settings.defaults(), schedule,
                    ctx.settings().maxGradNorm()));
            data.put(id, ctx.clientData(id));
        }
        global = init;
    }

    @Override
    public RoundOutcome round(int round) {
        Losses losses = new Losses();
        int steps = 0;
        for (int s = 0; s < localSteps; s++) {
            for (Map.Entry<String, LoraTrainer> e : trainers.entrySet()) {
                StepResult r = e.getValue().step(data.get(e.getKey()).nextBatch());
                losses.add(r.loss(), r.targetTokens());
                steps++;
            }
        }
        if (trainers.isEmpty()) {
            return new RoundOutcome(Double.NaN, 0, 0, 0, List.of());
        }
        List<ClientUpdate> updates = new ArrayList<>();
        long bytes = 0;
        for (Map.Entry<String, LoraTrainer> e : trainers.entrySet()) {
            AdapterSet a = e.getValue().adapters();
            updates.add(new ClientUpdate(e.getKey(), nLayers, data.get(e.getKey()).numExamples(), a, a.slice(0, 0, false)));
            bytes += a.numParameters() * 4;
        }
        AdapterSet next = aggregation.aggregateInPlace(updates);
        global.close();
        global = next;
        return new RoundOutcome(losses.mean(), steps, bytes, bytes, List.copyOf(trainers.keySet()));
    }

    @Override
    public AdapterSet globalAdapters() {
        return global;
    }

    @Override
    public void close() {
        trainers.values().forEach(LoraTrainer::close);
        global.close();
    }
}
