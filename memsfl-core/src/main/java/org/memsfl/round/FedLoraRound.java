package org.memsfl.round;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.settings.RoundSettings;
import org.memsfl.data.Batch;
import org.memsfl.fed.AggregationStrategy;
import org.memsfl.fed.ClientUpdate;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.train.AdamW;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.StepResult;

/**
 * The round of FedAvg of LoRA (McMahan et al. 2017 applied to adapters), the whole-model baseline: every client holds
 * the whole frozen model and trains adapters on all its layers with its own AdamW (the {@link RoundSettings#schedule},
 * counted per client over the whole run); at the round's end the server aggregates the clients' adapters, weighted by
 * {@code num_examples}, into the next global adapters. Clients do not restart from the global adapters: as published
 * for the baseline, each keeps training its own.
 *
 * <p>Beside {@link SplitServer} for the split methods: a driver registers the clients, feeds each one's local steps in
 * its order, then ends the round.
 */
public final class FedLoraRound implements AutoCloseable {

    private final RoundSettings settings;
    private final DecoderModel model;
    private final AggregationStrategy aggregation;
    private final int nLayers;
    private final Map<String, LoraTrainer> clients = new LinkedHashMap<>();
    private final Map<String, Long> numExamples = new LinkedHashMap<>();
    private AdapterSet global;
    private boolean started;

    /**
     * @param model       the frozen model every client holds (shared in process)
     * @param lora        adapter settings in the model's module names
     * @param aggregation FedAvg (or another strategy) over whole-model adapters
     */
    public FedLoraRound(RoundSettings settings, DecoderModel model, LoraConfig lora, AggregationStrategy aggregation) {
        this.settings = settings;
        this.model = model;
        this.aggregation = aggregation;
        this.nLayers = model.config().nLayers();
        this.global = AdapterSet.init(model.config(), lora, LayerRange.all(nLayers), settings.seed());
    }

    /**
     * A client starting from the initial global adapters.
     *
     * @throws IllegalStateException after the first step, or for a client registered twice
     */
    public void register(String clientId, long clientExamples) {
        if (started || clients.containsKey(clientId)) {
            throw new IllegalStateException("client '" + clientId + "' must register once, before the first step");
        }
        clients.put(clientId, new LoraTrainer(model, global.copy(), AdamW.Settings.defaults(), settings.schedule(),
                settings.maxGradNorm(), org.memsfl.engine.Rng.seed(settings.seed(), "fedlora/" + clientId, 0)));
        numExamples.put(clientId, clientExamples);
    }

    /** One local step of {@code clientId} on {@code batch}: forward, backward, clipping and its AdamW update. */
    public StepResult localStep(String clientId, Batch batch) {
        LoraTrainer t = clients.get(clientId);
        if (t == null) {
            throw new IllegalArgumentException("unknown client '" + clientId + "'; clients: " + clients.keySet());
        }
        started = true;
        return t.step(batch);
    }

    /** The client's adapters as it would upload them now (whole model, layers [0, N)). */
    public AdapterSet adapters(String clientId) {
        return clients.get(clientId).adapters();
    }

    /**
     * Aggregates every client's adapters into the next global adapters (the strategy may reuse the clients' buffers,
     * so read {@link #adapters} before this).
     *
     * @return the clients that took part, in registration order (none: nothing is aggregated)
     */
    public List<String> endRound() {
        if (clients.isEmpty()) {
            return List.of();
        }
        List<ClientUpdate> updates = new ArrayList<>();
        for (Map.Entry<String, LoraTrainer> e : clients.entrySet()) {
            AdapterSet a = e.getValue().adapters();
            // the whole model is the client's: "cut" N, nothing on the server side
            updates.add(new ClientUpdate(e.getKey(), nLayers, numExamples.get(e.getKey()), a, a.slice(0, 0, false)));
        }
        AdapterSet next = aggregation.aggregateInPlace(updates);
        global.close();
        global = next;
        return List.copyOf(clients.keySet());
    }

    /** The global adapters: the initial ones until the first round ends. */
    public AdapterSet global() {
        return global;
    }

    @Override
    public void close() {
        clients.values().forEach(LoraTrainer::close);
        global.close();
    }
}
