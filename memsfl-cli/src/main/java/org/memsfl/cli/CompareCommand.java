package org.memsfl.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.memsfl.sim.experiment.Experiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** All five methods side by side on the same engine, data, partition and seeds. */
@Command(name = "compare", description = "Run memsfl and the four baselines with the same settings and compare them.")
public final class CompareCommand implements Callable<Integer> {

    @Mixin
    SimOptions sim;
    @Mixin
    CommonOptions common;
    @Mixin
    GenerationOptions generation;

    @Option(names = "--methods", split = ",", description = "Subset of methods (default: all five).")
    List<String> methods;

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
        return SimRunner.run(sim.settings(common.seed), methods == null ? Experiment.METHODS : methods, out, scaleShape,
                common.json, "memsfl compare", generation.plan(common.seed));
    }
}
