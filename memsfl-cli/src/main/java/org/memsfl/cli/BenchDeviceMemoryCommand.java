package org.memsfl.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.memsfl.bench.DeviceMemoryBench;
import org.memsfl.model.ModelResolver;
import org.memsfl.quant.WeightStorage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench device-memory}: a device process's peak resident memory at one cut per weight storage form, and the
 * whole model (fedlora's device), one child JVM each, beside the cost model ({@link DeviceMemoryBench}).
 */
@Command(name = "device-memory", description = "Measure a device's peak RSS at a cut, per --device-weights storage, and"
        + " of the full model (one child JVM each) beside the cost model; prints a table and writes JSON.")
public final class BenchDeviceMemoryCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "random:gpt2", description = "Model (default: ${DEFAULT-VALUE}).")
    String model;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(names = "--cut", defaultValue = "2", description = "The device's cut layer (default: ${DEFAULT-VALUE}).")
    int cut;

    @Option(names = "--batch-size", defaultValue = "4", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--steps", defaultValue = "3", description = "Measured steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--lora-targets", defaultValue = "q,v", description = "Adapted modules (default: ${DEFAULT-VALUE}).")
    String targets;

    @Option(names = "--device-weights", defaultValue = "fp32,bf16,int8,nf4", split = ",", description = "Storage forms,"
            + " one cut variant each (default: ${DEFAULT-VALUE}).")
    List<String> storages;

    @Option(names = "--full", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also measure the whole model (default: on).")
    boolean full;

    @Option(names = "--allocator", defaultValue = "fixed-mmap", description = "default or fixed-mmap"
            + " (default: ${DEFAULT-VALUE}).")
    String allocator;

    @Option(names = "--out", description = "Result file (default: a new bench-results/device-memory-<time>.json).")
    Path out;

    @Option(names = "--overwrite", description = "Replace --out if it exists.")
    boolean overwrite;

    @Option(names = "--json", description = "Print the result document (JSON) instead of the table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        org.memsfl.model.ModelConfig config = ModelResolver.resolveConfig(model);
        int layers = config.nLayers();
        if (cut < 1 || cut >= layers) {
            throw new org.memsfl.util.BadInputException("--cut: expected 1 to " + (layers - 1) + ", got " + cut);
        }
        BenchCommand.batchShape(batch, seqLen, config);
        BenchCommand.atLeast("--steps", steps, 1);
        storages.forEach(WeightStorage::parse);
        if (!allocator.equals("default") && !allocator.equals("fixed-mmap")) {
            throw new org.memsfl.util.BadInputException("--allocator: expected default or fixed-mmap, got '" + allocator + "'");
        }
        Path file = BenchCommand.resultFile(out, overwrite, "device-memory");
        DeviceMemoryBench.main(new String[] {model, data.data(), String.valueOf(cut), String.valueOf(batch),
                String.valueOf(seqLen), String.valueOf(steps), file.toString(), allocator, targets, "1",
                String.join(",", storages), String.valueOf(full), String.valueOf(json)});
        return Main.EXIT_OK;
    }
}
