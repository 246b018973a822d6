package org.memsfl.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Label-skewed non-IID split (Hsu et al., 2019): for each client key, the shares of its examples across clients are
 * drawn from Dirichlet(alpha). Small alpha concentrates each key on few clients; large alpha approaches IID. Clients
 * left empty take one example from the largest client, so that every client can train.
 */
public final class DirichletPartitioner implements Partitioner {

    private final double alpha;

    public DirichletPartitioner(double alpha) {
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("alpha must be > 0 and finite, got " + alpha);
        }
        this.alpha = alpha;
    }

    public double alpha() {
        return alpha;
    }

    @Override
    public List<List<Example>> partition(List<Example> examples, int numClients, long seed) {
        Partitioner.checkArguments(examples, numClients);
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, List<Integer>> byKey = new TreeMap<>();
        for (int i = 0; i < examples.size(); i++) {
            byKey.computeIfAbsent(examples.get(i).clientKey(), k -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> clients = new ArrayList<>(numClients);
        for (int c = 0; c < numClients; c++) {
            clients.add(new ArrayList<>());
        }
        for (List<Integer> members : byKey.values()) {
            int[] order = Shuffle.permutation(members.size(), rng);
            double[] share = Gamma.dirichlet(rng, alpha, numClients);
            double cumulative = 0;
            int from = 0;
            for (int c = 0; c < numClients; c++) {
                cumulative += share[c];
                int to = c == numClients - 1 ? order.length : (int) Math.round(cumulative * order.length);
                to = Math.max(from, Math.min(order.length, to));
                for (int j = from; j < to; j++) {
                    clients.get(c).add(members.get(order[j]));
                }
                from = to;
            }
        }
        fillEmpty(clients);
        List<List<Example>> out = new ArrayList<>(numClients);
        for (List<Integer> client : clients) {
            List<Example> list = new ArrayList<>(client.size());
            client.stream().sorted().forEach(i -> list.add(examples.get(i)));
            out.add(list);
        }
        return out;
    }

    private static void fillEmpty(List<List<Integer>> clients) {
        for (List<Integer> client : clients) {
            if (client.isEmpty()) {
                List<Integer> largest = clients.get(0);
                for (List<Integer> other : clients) {
                    if (other.size() > largest.size()) {
                        largest = other;
                    }
                }
                client.add(largest.remove(largest.size() - 1));
            }
        }
    }
}
