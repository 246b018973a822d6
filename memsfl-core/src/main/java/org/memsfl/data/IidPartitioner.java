package org.memsfl.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** IID baseline: a seeded shuffle dealt round-robin, so client sizes differ by at most one. */
public final class IidPartitioner implements Partitioner {

    @Override
    public List<List<Example>> partition(List<Example> examples, int numClients, long seed) {
        Partitioner.checkArguments(examples, numClients);
        int[] order = Shuffle.permutation(examples.size(), new SplittableRandom(seed));
        List<List<Example>> clients = new ArrayList<>(numClients);
        for (int c = 0; c < numClients; c++) {
            clients.add(new ArrayList<>(examples.size() / numClients + 1));
        }
        for (int i = 0; i < order.length; i++) {
            clients.get(i % numClients).add(examples.get(order[i]));
        }
        return clients;
    }
}
