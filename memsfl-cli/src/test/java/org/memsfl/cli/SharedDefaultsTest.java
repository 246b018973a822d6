package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.memsfl.fleet.Units;
import org.memsfl.grpc.ServerDeployment;
import org.memsfl.settings.Defaults;
import org.memsfl.settings.RunSettings;
import picocli.CommandLine;

/**
 * One default per option (issue 9): simulate, server, finetune, eval and plan parse to the same batch, sequence,
 * optimizer, scheduler and LoRA values, all {@link Defaults}'; simulate's and server's options with nothing given
 * build exactly the one settings record's builder defaults ({@link RunSettings}), and the edge server's own options
 * exactly its process settings' builder defaults ({@link ServerDeployment}).
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
        for (BatchOptions b : new BatchOptions[] {sim.sim.run.batch, server.run.batch, finetune.dataOptions.batch,
                eval.dataOptions.batch, plan.batch}) {
            assertThat(b.batchSize).isEqualTo(Defaults.batchSize()).isEqualTo(4);
            assertThat(b.seqLen).isEqualTo(Defaults.seqLen()).isEqualTo(128);
        }
        for (OptimizerOptions o : new OptimizerOptions[] {sim.sim.run.optimizer, server.run.optimizer, finetune.optimizer}) {
            assertThat(o.lr).isEqualTo(Defaults.lr());
            assertThat(o.warmup).isEqualTo(Defaults.warmup());
            assertThat(o.maxGradNorm).isEqualTo(Defaults.maxGradNorm());
        }
        assertThat(sim.sim.run.order.scheduler).isEqualTo(server.run.order.scheduler).isEqualTo(Defaults.SCHEDULER)
                .isEqualTo("best");
        for (LoraOptions l : new LoraOptions[] {sim.sim.run.lora, server.run.lora, finetune.loraOptions, plan.lora}) {
            assertThat(l.config()).isEqualTo(Defaults.lora());
        }
        assertThat(finetune.dataOptions.evalExamples).isEqualTo(sim.sim.run.evalExamples)
                .isEqualTo(server.run.evalExamples).isEqualTo(Defaults.evalExamples());
    }

    @Test
    void everyCommandThatReadsADatasetTakesTheOneDataOption() {
        DeviceCommand device = parse(new DeviceCommand(), "--server", "localhost:1", "--device-id", "a", "--partition", "0");
        BenchDeviceMemoryCommand bench = parse(new BenchDeviceMemoryCommand());
        DataOption[] all = {parse(new SimulateCommand(), "--out", "x").sim.data, parse(new CompareCommand(), "--out", "x")
                .sim.data, parse(new FinetuneCommand(), "--out", "x").dataOptions.dataset,
                parse(new EvalCommand()).dataOptions.dataset, device.data, bench.data};
        for (DataOption d : all) {
            assertThat(d.data()).isEqualTo(Defaults.DATA).isEqualTo("dolly");
        }
        assertThat(parse(new DeviceCommand(), "--server", "localhost:1", "--device-id", "a", "--partition", "0",
                "--data", "e2e").data.data()).isEqualTo("e2e");
    }

    @Test
    void simulateAndServerBuildTheOneRecordFromTheSameDefaults() {
        RunSettings defaults = RunSettings.builder().build();
        assertThat(parse(new SimulateCommand(), "--out", "x").sim.settings(0)).isEqualTo(defaults);
        ServerCommand server = parse(new ServerCommand(), "--fleet-size", "2", "--out", "x");
        assertThat(server.run.builder(0).build()).isEqualTo(defaults);
        // the same record inside the edge server's process settings, and its own defaults as the server's options
        ServerDeployment built = ServerDeployment.builder(defaults).fleetSize(2).out(Path.of("x")).build();
        assertThat(built.run()).isSameAs(defaults);
        assertThat(built.maxChunkBytes()).isEqualTo(server.maxChunkBytes).isEqualTo(1 << 20);
        assertThat(built.stepTimeout()).isEqualTo(Duration.ofSeconds(server.stepTimeoutS));
        assertThat(built.roundTimeout()).isEqualTo(Duration.ofSeconds(server.roundTimeoutS));
        assertThat(built.serverFlops()).isEqualTo(Units.flops(server.serverCompute)).isEqualTo(30e12);
        assertThat(built.guards().minDevices()).isEqualTo(server.minDevices);
        assertThat(built.guards().maxUpdateNorm()).isEqualTo(ServerCommand.updateNorm(server.maxUpdateNorm));
        assertThat(built.guards().maxLossRatio()).isEqualTo(server.maxLossRatio);
        assertThat(built.maxNumExamples()).isEqualTo(server.maxNumExamples);
        assertThat(built.storageRetry()).isEqualTo(Duration.ofSeconds(server.storageRetryS));
    }
}
