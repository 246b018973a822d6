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

    @Option(names = "--in-process", description = "Run the methods one after another in this JVM (after one untimed"
            + " memsfl round) instead of each in a JVM of its own: same results, but a method's wall time then depends"
            + " on the methods before it.")
    boolean inProcess;

    @Override
    public Integer call() {
        org.memsfl.util.RunDirs.requireFresh(out, overwrite);
        List<String> ids = methods == null ? Experiment.METHODS : methods;
        org.memsfl.settings.RunSettings settings = sim.settings(common.seed);
        org.memsfl.train.TaskEvalPlan plan = generation.plan(common.seed);
        return SimRunner.run(settings, ids, out, scaleShape, common.json, "memsfl compare", plan, List.of(),
                inProcess ? null : new MethodProcesses(settings, plan, ids.size(), common.debug));
    }
}
