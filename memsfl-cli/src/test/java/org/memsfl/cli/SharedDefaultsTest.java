package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.memsfl.grpc.ServerSettings;
import org.memsfl.settings.Defaults;
import org.memsfl.sim.SimSettings;
import picocli.CommandLine;

/**
 * One default per option (issue 9): simulate, server, finetune, eval and plan parse to the same batch, sequence,
 * optimizer, scheduler and LoRA values, all {@link Defaults}'; the simulator's and the edge server's settings
 * builders start from them too, and simulate's options with nothing given build exactly the builder's settings.
 */
class SharedDefaultsTest {

    static <T> T parse(T command, String... args) {
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void everyCommandParsesToTheOneDefaults() {
        SimulateCommand sim = parse(new SimulateCommand(), "--out", "x");
        ServerCommand server = parse(new ServerCommand(), "--fleet-size", "2", "--out", "x");
        FinetuneCommand finetune = parse(new FinetuneCommand(), "--out", "x");
        EvalCommand eval = parse(new EvalCommand(), "--data", "dolly");
        PlanCommand plan = parse(new PlanCommand());
        for (BatchOptions b : new BatchOptions[] {sim.sim.batch, server.batch, finetune.dataOptions.batch,
                eval.dataOptions.batch, plan.batch}) {
            assertThat(b.batchSize).isEqualTo(Defaults.batchSize()).isEqualTo(4);
            assertThat(b.seqLen).isEqualTo(Defaults.seqLen()).isEqualTo(128);
        }
        for (OptimizerOptions o : new OptimizerOptions[] {sim.sim.optimizer, server.optimizer, finetune.optimizer}) {
            assertThat(o.lr).isEqualTo(Defaults.lr());
            assertThat(o.warmup).isEqualTo(Defaults.warmup());
            assertThat(o.maxGradNorm).isEqualTo(Defaults.maxGradNorm());
        }
        assertThat(sim.sim.order.scheduler).isEqualTo(server.order.scheduler).isEqualTo(Defaults.SCHEDULER)
                .isEqualTo("exact");
        for (LoraOptions l : new LoraOptions[] {sim.sim.lora, server.lora, finetune.loraOptions, plan.lora}) {
            assertThat(l.config()).isEqualTo(Defaults.lora());
        }
        assertThat(finetune.dataOptions.evalExamples).isEqualTo(sim.sim.evalExamples)
                .isEqualTo(server.evalExamples).isEqualTo(Defaults.evalExamples());
    }

    @Test
    void theSettingsBuildersStartFromTheSameDefaults() {
        SimSettings sim = SimSettings.builder().build();
        assertThat(parse(new SimulateCommand(), "--out", "x").sim.settings(0)).isEqualTo(sim);
        ServerSettings server = ServerSettings.builder().setModel(Defaults.MODEL).setFleetSize(1).setOut(Path.of("x"))
                .build();
        assertThat(server.model()).isEqualTo(sim.model());
        assertThat(server.rounds()).isEqualTo(sim.rounds());
        assertThat(server.localSteps()).isEqualTo(sim.localSteps());
        assertThat(server.batchSize()).isEqualTo(sim.batchSize());
        assertThat(server.seqLen()).isEqualTo(sim.seqLen());
        assertThat(server.lora()).isEqualTo(sim.lora());
        assertThat(server.lr()).isEqualTo(sim.lr());
        assertThat(server.warmup()).isEqualTo(sim.warmup());
        assertThat(server.maxGradNorm()).isEqualTo(sim.maxGradNorm());
        assertThat(server.seed()).isEqualTo(sim.seed());
        assertThat(server.partitioner()).isEqualTo(sim.partition());
        assertThat(server.aggregation()).isEqualTo(sim.aggregation());
        assertThat(server.wire()).isEqualTo(sim.wire());
        assertThat(server.safetyMargin()).isEqualTo(sim.safetyMargin());
        assertThat(server.evalExamples()).isEqualTo(sim.evalExamples());
        assertThat(server.scheduler()).isEqualTo(sim.scheduler());
        assertThat(server.serverRecompute()).isEqualTo(sim.serverRecompute());
        assertThat(server.dtype()).isEqualTo(sim.dtype());
        assertThat(server.template()).isEqualTo(sim.template());
    }
}
