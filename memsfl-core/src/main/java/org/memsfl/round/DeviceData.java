package org.memsfl.round;

import java.util.List;
import org.memsfl.data.Dataset;
import org.memsfl.data.Example;
import org.memsfl.data.ExampleEncoder;
import org.memsfl.data.Partitioner;
import org.memsfl.data.Tokenization;
import org.memsfl.data.TokenizedExample;
import org.memsfl.tokenizer.Tokenizer;

/**
 * A device's private data in a split federated run, the same in the simulator and on a device process: the
 * partition of the training split the partitioner gives it (fixed by the seed), tokenised, and the seed of its batch
 * stream.
 */
public final class DeviceData {

    private DeviceData() {
    }

    /** Every partition of the training split, tokenised with the plain templates, in partition order. */
    public static List<List<TokenizedExample>> partitions(Dataset ds, String partitioner, int numPartitions, long seed,
                                                          Tokenizer tokenizer, int seqLen) {
        List<List<Example>> parts = Partitioner.of(partitioner).partition(ds.train(), numPartitions, seed);
        Tokenization tok = new Tokenization(tokenizer, seqLen);
        return parts.stream().map(tok::applyAll).toList();
    }

    /** Partition {@code index} alone, tokenised with the plain templates. */
    public static List<TokenizedExample> partition(Dataset ds, String partitioner, int numPartitions, int index,
                                                   long seed, Tokenizer tokenizer, int seqLen) {
        return partition(ds, partitioner, numPartitions, index, seed, new Tokenization(tokenizer, seqLen));
    }

    /** Partition {@code index} alone, formatted by {@code encoder} (the run's {@code --template}). */
    public static List<TokenizedExample> partition(Dataset ds, String partitioner, int numPartitions, int index,
                                                   long seed, ExampleEncoder encoder) {
        List<List<Example>> parts = Partitioner.of(partitioner).partition(ds.train(), numPartitions, seed);
        return encoder.applyAll(parts.get(index));
    }

    /** The seed of the batch stream of the device that trains partition {@code index}. */
    public static long batchSeed(long runSeed, int index) {
        return runSeed * 31 + index;
    }
}
