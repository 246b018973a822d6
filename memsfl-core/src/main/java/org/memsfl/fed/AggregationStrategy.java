package org.memsfl.fed;

import java.util.List;

/**
 * Combines the adapters of the clients that finished a round (Flower's {@code Strategy.aggregate_fit}). Clients
 * that dropped out are simply absent from {@code updates}; weights renormalise over those present. Inputs are read,
 * never changed.
 */
public interface AggregationStrategy {

    /** The name the CLI uses, see {@link Aggregators#of}. */
    String name();

    /**
     * @param updates at least one, with distinct client ids, equal LoRA rank and alpha, and equal shapes per key
     * @throws IllegalArgumentException when the updates are empty or inconsistent
     */
    AggregationResult aggregate(List<ClientUpdate> updates);

    /**
     * Aggregates and writes each client's new values into the live tensors of its update (both sides), then frees
     * the result; returns a copy of the global adapters, owned by the caller. The simulator and the edge server
     * both end a round through this.
     */
    default org.memsfl.lora.AdapterSet aggregateInPlace(List<ClientUpdate> updates) {
        try (AggregationResult result = aggregate(updates)) {
            updates.forEach(result::assignTo);
            return result.global().copy();
        }
    }
}
