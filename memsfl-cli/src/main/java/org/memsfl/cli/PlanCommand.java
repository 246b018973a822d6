package org.memsfl.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.plan.Plan;
import org.memsfl.plan.PlanTable;
import org.memsfl.plan.Planner;
import org.memsfl.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Per device, the largest cut layer that fits its memory budget, with the memory by category and the reason. */
@Command(name = "plan", description = "Choose each device's cut layer from its memory budget and explain the choice.")
public final class PlanCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--model", defaultValue = "random:gpt2-medium", description = "Model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--fleet", defaultValue = "paper-5", description = "Fleet preset or file (default: ${DEFAULT-VALUE}).")
    String fleet;

    @Option(names = "--batch-size", defaultValue = "4", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--lora-rank", defaultValue = "8", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--lora-targets", defaultValue = "q,v", split = ",", description = "Adapted modules (default: ${DEFAULT-VALUE}).")
    List<String> targets;

    @Option(names = "--safety-margin", defaultValue = "0.1", description = "Memory margin (default: ${DEFAULT-VALUE}).")
    double margin;

    @Override
    public Integer call() {
        ModelConfig c = ModelResolver.resolveConfig(model);
        Fleet f = Fleets.resolve(fleet);
        LoraConfig lora = UserInput.check(() -> new LoraConfig(rank, 2.0 * rank, 0, targets));
        Plan p = UserInput.check(() -> Planner.plan(c, lora, batch, seqLen, f, margin));
        if (common.json) {
            System.out.println(Json.pretty(p.toMap()));
        } else {
            System.out.println(PlanTable.render(p));
        }
        return Main.EXIT_OK;
    }
}
