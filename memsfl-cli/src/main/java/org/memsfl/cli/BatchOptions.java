package org.memsfl.cli;

import org.memsfl.settings.Defaults;
import picocli.CommandLine.Option;

/** What one step sees: simulate, compare, server, finetune and eval. */
public final class BatchOptions {

    @Option(names = "--batch-size", defaultValue = Defaults.BATCH_SIZE,
            description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seq-len", defaultValue = Defaults.SEQ_LEN,
            description = "Longest sequence in tokens, capped at the model's context (default: ${DEFAULT-VALUE}).")
    int seqLen;

    /** {@code --seq-len}, at most the model's context. */
    int seqLen(int modelMax) {
        return Math.min(seqLen, modelMax);
    }
}
