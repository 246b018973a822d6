package org.memsfl.sim;

import java.util.List;
import org.memsfl.data.Batch;
import org.memsfl.data.BatchSampler;
import org.memsfl.data.TokenizedExample;

/** One device's private training data: never leaves the device; only its size (num_examples) is reported. */
public final class ClientData {

    private final String deviceId;
    private final List<TokenizedExample> examples;
    private final BatchSampler sampler;

    public ClientData(String deviceId, List<TokenizedExample> examples, int batchSize, int seqLen, long seed) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("device " + deviceId + " has no training examples");
        }
        this.deviceId = deviceId;
        this.examples = List.copyOf(examples);
        this.sampler = new BatchSampler(this.examples, batchSize, seqLen, seed);
    }

    public String deviceId() {
        return deviceId;
    }

    public long numExamples() {
        return examples.size();
    }

    public List<TokenizedExample> examples() {
        return examples;
    }

    public Batch nextBatch() {
        return sampler.next();
    }
}
