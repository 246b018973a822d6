package org.memsfl.cli;

import picocli.CommandLine.Option;

/**
 * Dataset choice and batching shared by the training and evaluation commands. Their held-out batches come from
 * {@link org.memsfl.data.HeldOut}, the one path the simulator and the deployment's server use too.
 */
public final class DataOptions {

    @picocli.CommandLine.Mixin
    DataOption dataset;

    @picocli.CommandLine.Mixin
    BatchOptions batch;

    @Option(names = "--eval-examples", defaultValue = org.memsfl.settings.Defaults.EVAL_EXAMPLES,
            description = "Held-out examples scored for eval loss (default: ${DEFAULT-VALUE}).")
    int evalExamples;

    /** The --data given, or its default. */
    String data() {
        return dataset.data();
    }

    int seqLen(int modelMax) {
        return batch.seqLen(modelMax);
    }

    int batchSize() {
        return batch.batchSize;
    }
}
