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
        + " rounds, and the cost-model table at the GPT-2-medium shape.")
public final class DemoCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--rounds", defaultValue = "10", description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() {
        SimOptions s = new SimOptions();
        picocli.CommandLine.populateCommand(s, "--rounds", String.valueOf(rounds), "--plan-shape", "random:gpt2-medium");
        return SimRunner.run(s.settings(common.seed), Experiment.METHODS, out, "random:gpt2-medium", common.json,
                "memsfl demo: stories260K + Dolly over paper-5");
    }
}
