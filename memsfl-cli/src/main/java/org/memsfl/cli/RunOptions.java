package org.memsfl.cli;

import org.memsfl.engine.DType;
import org.memsfl.settings.Defaults;
import org.memsfl.settings.RunSettings;
import org.memsfl.split.WireFormat;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The option groups of what a federated run trains, shared by simulate, compare, demo and server: each group's
 * defaults are {@link Defaults}', and {@link #builder(long)} is the one place they become the one settings record
 * ({@link RunSettings}), which the simulator runs with and the edge server holds.
 */
public final class RunOptions {

    @Mixin
    ModelOptions model;

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

    @Mixin
    LoraOptions lora;

    @Mixin
    TemplateOption template;

    /**
     * These options in the one settings builder; the caller adds what is its own (the simulated data and fleet).
     *
     * @throws org.memsfl.util.BadInputException for a value no option group allows (a dtype, a wire format)
     */
    RunSettings.Builder builder(long seed) {
        return RunSettings.builder().model(model.model).planShape(plan.planShape).partition(federation.partition)
                .rounds(round.rounds).localSteps(round.localSteps).scheduler(order.scheduler)
                .aggregation(federation.aggregation).batchSize(batch.batchSize).seqLen(batch.seqLen)
                .lora(lora.config()).lr(optimizer.lr).warmup(optimizer.warmup).maxGradNorm(optimizer.maxGradNorm)
                .evalExamples(evalExamples).safetyMargin(plan.safetyMargin).wire(WireFormat.parse(federation.wireDtype))
                .seed(seed).serverRecompute(order.serverRecompute).dtype(DType.parse(model.dtype))
                .template(template.template);
    }
}
