package org.memsfl.cli;

import org.memsfl.settings.Defaults;
import picocli.CommandLine.Option;

/** Every optimizer's schedule and clipping: simulate, compare, server and finetune. */
public final class OptimizerOptions {

    @Option(names = "--lr", defaultValue = Defaults.LR, description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", defaultValue = Defaults.WARMUP,
            description = "Linear warm-up steps per optimizer (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--max-grad-norm", defaultValue = Defaults.MAX_GRAD_NORM,
            description = "Gradient clipping norm, per side of a split (0: none) (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;
}
