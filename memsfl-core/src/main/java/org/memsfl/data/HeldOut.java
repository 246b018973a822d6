package org.memsfl.data;

import java.util.List;
import org.memsfl.tokenizer.Tokenizer;

/** The held-out batches a run scores its global adapters on after each round: the same wherever it runs. */
public final class HeldOut {

    private HeldOut() {
    }

    /**
     * The first {@code examples} of the dataset's held-out split, tokenised to at most {@code seqLen} tokens and
     * batched in order (the last batch may be short).
     */
    public static List<Batch> batches(Dataset ds, Tokenizer tokenizer, int examples, int batchSize, int seqLen) {
        return batches(ds, new Tokenization(tokenizer, seqLen), examples, batchSize, seqLen);
    }

    /** The same, formatted by {@code encoder} (the run's {@code --template}). */
    public static List<Batch> batches(Dataset ds, ExampleEncoder encoder, int examples, int batchSize, int seqLen) {
        List<Example> eval = ds.eval().subList(0, Math.min(examples, ds.eval().size()));
        return Batcher.sequential(encoder.applyAll(eval), batchSize, seqLen);
    }
}
