package org.memsfl.cli;

import org.memsfl.settings.Defaults;
import org.memsfl.sim.SimSettings;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Options of simulate, compare and demo: the option groups the server shares (model, rounds, batch, optimizer,
 * plan, server order, federation, LoRA, template), each default once in {@link Defaults}, plus the simulated fleet.
 */
public final class SimOptions {

    @Mixin
    ModelOptions model;

    @Option(names = "--data", defaultValue = Defaults.DATA, description = "Dataset (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--fleet", defaultValue = Defaults.FLEET, description = "Fleet preset (paper-5, mixed-20,"
            + " paper-5-busy-server) or YAML/JSON file (default: ${DEFAULT-VALUE}).")
    String fleet;

    @Mixin
    RoundOptions round;

    @Mixin
    BatchOptions batch;

    @Mixin
    OptimizerOptions optimizer;

    @Mixin
    PlanOptions plan;

    @Mixin
    ServerOrderOptions order;

    @Mixin
    FederationOptions federation;

    @Option(names = "--eval-examples", defaultValue = Defaults.EVAL_EXAMPLES,
            description = "Held-out examples per evaluation (default: ${DEFAULT-VALUE}).")
    int evalExamples;

    @Option(names = "--device-weights", defaultValue = Defaults.DEVICE_WEIGHTS, description = "How devices store their"
            + " layers' frozen linear weights: fp32, bf16, int8 (per-channel absmax) or nf4 (QLoRA's 4-bit NormalFloat,"
            + " double quantization); dequantized one layer at a time; the planner gives deeper cuts for smaller"
            + " storage (default: ${DEFAULT-VALUE}).")
    String deviceWeights;

    @Mixin
    LoraOptions lora;

    @Mixin
    TemplateOption template;

    SimSettings settings(long seed) {
        return UserInput.check(() -> SimSettings.builder().model(model.model).planShape(plan.planShape).data(data)
                .partition(federation.partition).fleet(fleet).rounds(round.rounds).localSteps(round.localSteps)
                .scheduler(order.scheduler).aggregation(federation.aggregation).batchSize(batch.batchSize)
                .seqLen(batch.seqLen).lora(lora.config()).lr(optimizer.lr).warmup(optimizer.warmup)
                .maxGradNorm(optimizer.maxGradNorm).evalExamples(evalExamples).safetyMargin(plan.safetyMargin)
                .wire(org.memsfl.split.WireFormat.parse(federation.wireDtype)).seed(seed)
                .serverRecompute(order.serverRecompute).dtype(org.memsfl.engine.DType.parse(model.dtype))
                .template(template.template).deviceWeights(org.memsfl.quant.WeightStorage.parse(deviceWeights)).build());
    }
}
