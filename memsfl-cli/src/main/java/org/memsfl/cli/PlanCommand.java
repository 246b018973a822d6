package org.memsfl.cli;

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

    @Option(names = "--fleet", defaultValue = org.memsfl.settings.Defaults.FLEET,
            description = "Fleet preset or file (default: ${DEFAULT-VALUE}).")
    String fleet;

    @Mixin
    BatchOptions batch;

    @Mixin
    LoraOptions lora;

    @Option(names = "--safety-margin", defaultValue = org.memsfl.settings.Defaults.SAFETY_MARGIN,
            description = "Memory margin (default: ${DEFAULT-VALUE}).")
    double margin;

    @Option(names = "--device-weights", defaultValue = org.memsfl.settings.Defaults.DEVICE_WEIGHTS,
            description = "How devices store their layers' frozen linear weights: fp32, bf16, int8 or nf4, as in"
            + " simulate; smaller storage, deeper cuts (default: ${DEFAULT-VALUE}).")
    String deviceWeights;

    @Override
    public Integer call() {
        ModelConfig c = ModelResolver.resolveConfig(model);
        Fleet f = Fleets.resolve(fleet);
        // the same targets every command takes, in this shape's module names (q,k,v,o name GPT-2's c_attn and c_proj)
        LoraConfig adapters = UserInput.check(() -> lora.config().forShape(c));
        org.memsfl.quant.WeightStorage storage = UserInput.check(() -> org.memsfl.quant.WeightStorage.parse(deviceWeights));
        Plan p = UserInput.check(() -> Planner.plan(
                org.memsfl.cost.MemoryModel.of(c, adapters, batch.batchSize, batch.seqLen), f, margin, true, storage));
        if (common.json) {
            System.out.println(Json.pretty(p.toMap()));
        } else {
            System.out.println(PlanTable.render(p));
        }
        return Main.EXIT_OK;
    }
}
