package org.memsfl.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.memsfl.util.BadInputException;

/**
 * Non-IID by the data's own key (Dolly category, E2E restaurant, Shakespeare speaker): a key never spans clients.
 * With as many keys as clients each client is one key, in key order; with more keys, keys go largest first to the
 * currently smallest client (greedy balancing). The result does not depend on the seed.
 */
public final class NaturalKeyPartitioner implements Partitioner {

    @Override
    public List<List<Example>> partition(List<Example> examples, int numClients, long seed) {
        Partitioner.checkArguments(examples, numClients);
        Map<String, List<Example>> byKey = new TreeMap<>();
        for (Example e : examples) {
            byKey.computeIfAbsent(e.clientKey(), k -> new ArrayList<>()).add(e);
        }
        if (byKey.size() < numClients) {
            throw new BadInputException("natural partition needs at least " + numClients + " distinct client keys, the"
                    + " data has " + byKey.size() + (byKey.size() <= 10 ? " " + byKey.keySet() : "")
                    + ": use fewer clients or the iid/dirichlet partitioner");
        }
        List<List<Example>> clients = new ArrayList<>(numClients);
        for (int c = 0; c < numClients; c++) {
            clients.add(new ArrayList<>());
        }
        List<Map.Entry<String, List<Example>>> groups = new ArrayList<>(byKey.entrySet());
        if (groups.size() > numClients) {
            // stable sort: equal sizes keep key order
            groups.sort(Comparator.comparingInt((Map.Entry<String, List<Example>> g) -> g.getValue().size())
                    .reversed());
        }
        for (Map.Entry<String, List<Example>> group : groups) {
            clients.get(smallest(clients)).addAll(group.getValue());
        }
        return clients;
    }

    private static int smallest(List<List<Example>> clients) {
        int best = 0;
        for (int c = 1; c < clients.size(); c++) {
            if (clients.get(c).size() < clients.get(best).size()) {
                best = c;
            }
        }
        return best;
    }
}
