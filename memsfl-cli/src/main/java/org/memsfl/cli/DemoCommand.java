package org.memsfl.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.memsfl.sim.experiment.Experiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The default main job: compare on stories260K + Dolly (by category) over the paper-5 fleet, with cuts sized at
 * the GPT-2-medium shape and scaled to stories260K's five layers, plus the scale table at GPT-2-medium.
 */
@Command(name = "demo", description = "compare on stories260K + Dolly over paper-5 (cuts sized at GPT-2-medium), a few"
        + " rounds, with ROUGE-L of generated answers per method and device, and the cost-model table at the"
        + " GPT-2-medium shape.")
public final class DemoCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--rounds", defaultValue = "10", description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--in-process", description = "Run the methods one after another in this JVM instead of each in a"
            + " JVM of its own (as compare --in-process).")
    boolean inProcess;

    @Override
    public Integer call() {
        SimOptions s = new SimOptions();
        picocli.CommandLine.populateCommand(s, "--rounds", String.valueOf(rounds), "--plan-shape", "random:gpt2-medium");
        // task quality of every method after the final round: ROUGE-L of greedy answers to 8 held-out Dolly prompts
        // of each device's own categories (40 in all), a minute or less next to the training
        GenerationOptions g = new GenerationOptions();
        picocli.CommandLine.populateCommand(g, "--generate", "--gen-examples", "8", "--max-new-tokens", "48");
        org.memsfl.settings.RunSettings settings = s.settings(common.seed);
        org.memsfl.train.TaskEvalPlan plan = g.plan(common.seed);
        return SimRunner.run(settings, Experiment.METHODS, out, "random:gpt2-medium", common.json,
                "memsfl demo: stories260K + Dolly over paper-5", plan,
                // paper-5's server is about 1% busy, so its serving order cannot matter there; the paper's time
                // claim is about a server that is the bottleneck
                java.util.List.of("paper-5-busy-server"),
                inProcess ? null : new MethodProcesses(settings, plan, Experiment.METHODS.size(), common.debug));
    }
}
