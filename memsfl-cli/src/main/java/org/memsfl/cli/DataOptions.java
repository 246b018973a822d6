package org.memsfl.cli;

import picocli.CommandLine.Option;

/**
 * Dataset choice and batching shared by the training and evaluation commands. Their held-out batches come from
 * {@link org.memsfl.data.HeldOut}, the one path the simulator and the deployment's server use too.
 */
public final class DataOptions {

    // no defaultValue: eval takes --data or --text; finetune falls back to Defaults.DATA, which the help names
    @Option(names = "--data", description = "dolly, e2e, shakespeare, gsm8k, or a .jsonl (prompt/response) or .txt file"
            + " (finetune's default: " + org.memsfl.settings.Defaults.DATA + "; eval: this or --text).")
    String data;

    @picocli.CommandLine.Mixin
    BatchOptions batch;

    @Option(names = "--eval-examples", defaultValue = org.memsfl.settings.Defaults.EVAL_EXAMPLES,
            description = "Held-out examples scored for eval loss (default: ${DEFAULT-VALUE}).")
    int evalExamples;

    int seqLen(int modelMax) {
        return batch.seqLen(modelMax);
    }

    int batchSize() {
        return batch.batchSize;
    }
}
