package org.memsfl.grpc;

import java.util.List;
import org.memsfl.data.BatchSampler;
import org.memsfl.data.TokenizedExample;

/**
 * A device process's batch stream over its partition, replayable to where a round started (to redo a round the server
 * lost after a crash): the same seed replayed.
 */
final class BatchStream {

    private final List<TokenizedExample> examples;
    private final int batchSize;
    private final int seqLen;
    private final long seed;
    private BatchSampler sampler;
    private long drawn;

    BatchStream(List<TokenizedExample> examples, int batchSize, int seqLen, long seed) {
        this.examples = examples;
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.seed = seed;
        this.sampler = new BatchSampler(examples, batchSize, seqLen, seed);
    }

    org.memsfl.data.Batch next() {
        drawn++;
        return sampler.next();
    }

    long drawn() {
        return drawn;
    }

    /** Back to the state after {@code count} batches: the same seed replayed. */
    void rewind(long count) {
        sampler = new BatchSampler(examples, batchSize, seqLen, seed);
        for (long i = 0; i < count; i++) {
            sampler.next();
        }
        drawn = count;
    }
}
