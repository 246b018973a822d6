package org.memsfl.fed;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.NoGradGuard;
import org.memsfl.engine.NativeScope;
import org.memsfl.lora.LoraWeights;

/**
 * Per-layer FedAvg, memsfl's default ({@code fedavg}). For every key ({@code embed} or a layer's module), A and B
 * are each averaged over all clients that hold the key, on the device side or the server side alike, weighted by
 * {@code numExamples / sum(numExamples)} over those clients; a key held by only some clients (a client that does not
 * target a module, say) is averaged over those only. Every client gets the averaged values for all its keys: device
 * side {@code [0, cut)} and server side {@code [cut, N)}. Means are taken in float64 and rounded once to float32, so
 * one client aggregated alone comes back bit for bit.
 */
public final class FedAvg implements AggregationStrategy {

    public static final String NAME = "fedavg";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AggregationResult aggregate(List<ClientUpdate> updates) {
        AggregationInputs in = AggregationInputs.of(updates);
        try (NoGradGuard ng = new NoGradGuard(); NativeScope scope = new NativeScope()) {
            Map<String, LoraWeights> mean = new TreeMap<>();
            in.holders(true, true).forEach((k, hs) -> mean.put(k, AggregationInputs.meanOf(hs)));
            return in.assemble(scope, NAME, mean, mean, mean);
        }
    }

    @Override
    public String toString() {
        return NAME;
    }
}
