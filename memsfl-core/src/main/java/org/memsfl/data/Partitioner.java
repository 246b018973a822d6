package org.memsfl.data;

import java.util.List;
import java.util.Locale;
import org.memsfl.util.BadInputException;

/** Splits a dataset across federated clients; every example goes to exactly one client, every client gets one. */
public interface Partitioner {

    List<List<Example>> partition(List<Example> examples, int numClients, long seed);

    /** "natural", "iid" or "dirichlet:ALPHA" (e.g. dirichlet:0.5). */
    static Partitioner of(String spec) {
        String s = spec == null ? "" : spec.strip().toLowerCase(Locale.ROOT);
        if (s.equals("natural")) {
            return new NaturalKeyPartitioner();
        }
        if (s.equals("iid")) {
            return new IidPartitioner();
        }
        if (s.startsWith("dirichlet:")) {
            String alpha = s.substring("dirichlet:".length());
            try {
                return new DirichletPartitioner(Double.parseDouble(alpha));
            } catch (IllegalArgumentException e) {
                throw new BadInputException("partitioner '" + spec + "': alpha must be a number > 0, got '"
                        + alpha + "'", e);
            }
        }
        throw new BadInputException("unknown partitioner '" + spec
                + "': expected natural, iid or dirichlet:ALPHA (e.g. dirichlet:0.5)");
    }

    static void checkArguments(List<Example> examples, int numClients) {
        if (numClients <= 0) {
            throw new IllegalArgumentException("numClients must be > 0, got " + numClients);
        }
        if (examples.size() < numClients) {
            throw new BadInputException("cannot give each of " + numClients + " clients an example: the data has only "
                    + examples.size());
        }
    }
}
