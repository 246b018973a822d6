package org.memsfl.round;

import java.util.List;
import org.memsfl.data.Dataset;
import org.memsfl.data.Example;
import org.memsfl.data.ExampleEncoder;
import org.memsfl.data.Partitioner;
import org.memsfl.data.TokenizedExample;

/**
 * A device's private data in a split federated run, the same in the simulator and on a device process: the
 * partition of the training split the partitioner gives it (fixed by the seed), tokenised, and the seed of its batch
 * stream.
 */
public final class DeviceData {

    private DeviceData() {
    }

    /**
     * Every partition of the training split, untokenised, in partition order: what the simulator formats for all its
     * devices (and keeps for their held-out prompts) and a device process for its own index.
     */
    public static List<List<Example>> rawPartitions(Dataset ds, String partitioner, int numPartitions, long seed) {
        return Partitioner.of(partitioner).partition(ds.train(), numPartitions, seed);
    }

    /** Partition {@code index} alone, formatted by {@code encoder} (the run's {@code --template}). */
    public static List<TokenizedExample> partition(Dataset ds, String partitioner, int numPartitions, int index,
                                                   long seed, ExampleEncoder encoder) {
        return encoder.applyAll(rawPartitions(ds, partitioner, numPartitions, seed).get(index));
    }

    /** The seed of the batch stream of the device that trains partition {@code index}. */
    public static long batchSeed(long runSeed, int index) {
        return runSeed * 31 + index;
    }
}
