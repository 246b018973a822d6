package org.memsfl.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** One method over a simulated fleet. */
@Command(name = "simulate", description = "Train one method (memsfl, sfl-v1, splitlora, fedlora, centralized) over a"
        + " simulated heterogeneous fleet; writes manifest.json, metrics.jsonl, summary.json and report.html.")
public final class SimulateCommand implements Callable<Integer> {

    @Mixin
    SimOptions sim;
    @Mixin
    CommonOptions common;
    @Mixin
    GenerationOptions generation;

    @Option(names = "--method", defaultValue = "memsfl", description = "Method (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--scale-shape", defaultValue = "random:gpt2-medium",
            description = "Model shape of the cost-model scale table (default: ${DEFAULT-VALUE}).")
    String scaleShape;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--overwrite", description = "Replace the results of an earlier run in --out.")
    boolean overwrite;

    @Override
    public Integer call() {
        org.memsfl.util.RunDirs.requireFresh(out, overwrite);
        return SimRunner.run(sim.settings(common.seed), List.of(method), out, scaleShape, common.json, "memsfl simulate: " + method,
                generation.plan(common.seed));
    }
}
