package org.memsfl.fed;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.memsfl.lora.AdapterSet;

/**
 * A round's aggregate. Every tensor is a fresh float32 leaf with {@code requires_grad} set, detached from any graph
 * and shared with nothing else (not with the inputs, not between clients, not with {@code global}), so the caller may
 * either copy values into its live adapters ({@link #assignTo}) or adopt these sets as they are.
 *
 * @param strategy the strategy's name ({@code fedavg}, {@code client-only}, {@code svd})
 * @param global   every key present in any client: the adapters that are evaluated
 * @param clients  by client id, in the order of the updates
 * @param weights  each client's share {@code numExamples / sum(numExamples)} over the clients present; a key held by
 *                 only some clients renormalises over those
 */
public record AggregationResult(String strategy, AdapterSet global, Map<String, ClientAdapters> clients,
                                Map<String, Double> weights) implements AutoCloseable {

    public AggregationResult {
        clients = Collections.unmodifiableMap(new LinkedHashMap<>(clients));
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    }

    /** The new adapters of one client. */
    public ClientAdapters client(String clientId) {
        ClientAdapters c = clients.get(clientId);
        if (c == null) {
            throw new IllegalArgumentException("no client '" + clientId + "' in this aggregation; present: "
                    + clients.keySet());
        }
        return c;
    }

    /** Copies the client's new values into the live tensors of its update (both sides), in place. */
    public void assignTo(ClientUpdate update) {
        ClientAdapters c = client(update.clientId());
        update.deviceSide().assign(c.deviceSide());
        update.serverSide().assign(c.serverSide());
    }

    /** Frees every tensor of this result (global and all clients). */
    @Override
    public void close() {
        global.close();
        for (ClientAdapters c : clients.values()) {
            c.deviceSide().close();
            c.serverSide().close();
        }
    }
}
