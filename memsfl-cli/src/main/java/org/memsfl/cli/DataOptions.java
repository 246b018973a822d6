package org.memsfl.cli;

import java.util.List;
import org.memsfl.data.Batch;
import org.memsfl.data.Batcher;
import org.memsfl.data.Dataset;
import org.memsfl.data.Example;
import picocli.CommandLine.Option;

/** Dataset choice and batching shared by the training and evaluation commands. */
public final class DataOptions {

    @Option(names = "--data", description = "dolly, e2e, shakespeare, gsm8k, or a .jsonl (prompt/response) or .txt file.")
    String data;

    @Option(names = "--seq-len", defaultValue = "256", description = "Longest sequence in tokens (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--batch-size", defaultValue = "8", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--eval-examples", defaultValue = "128",
            description = "Held-out examples scored for eval loss (default: ${DEFAULT-VALUE}).")
    int evalExamples;

    int seqLen(int modelMax) {
        return Math.min(seqLen, modelMax);
    }

    /** The first {@code count} held-out examples through {@code encoder}, as fixed batches. */
    static List<Batch> evalBatches(Dataset ds, org.memsfl.chat.PromptEncoder encoder, int batchSize, int seqLen,
            int count) {
        List<Example> eval = ds.eval().subList(0, Math.min(count, ds.eval().size()));
        return Batcher.sequential(encoder.applyAll(eval), batchSize, seqLen);
    }
}
