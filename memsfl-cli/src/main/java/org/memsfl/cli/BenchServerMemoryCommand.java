package org.memsfl.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.memsfl.bench.ServerMemoryBench;
import org.memsfl.fleet.Fleets;
import org.memsfl.model.ModelPresets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench server-memory}: the edge server's peak resident memory for memsfl and the baselines, one child JVM per
 * variant, beside the cost model ({@link ServerMemoryBench}).
 */
@Command(name = "server-memory", description = "Measure the server side's peak RSS per method (one child JVM each)"
        + " beside the cost model; prints JSON.")
public final class BenchServerMemoryCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "gpt2-medium", description = "Shape preset, random weights"
            + " (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--fleet", defaultValue = "paper-5", description = "Fleet preset or file (default: ${DEFAULT-VALUE}).")
    String fleet;

    @Option(names = "--batch-size", defaultValue = "4", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--rounds", defaultValue = "2", description = "Rounds of server steps (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--variants", defaultValue = "memsfl-rc,sfl-v1", split = ",", description = "memsfl, memsfl-rc"
            + " (recompute, memsfl's default), memsfl-mb1, memsfl-mb1-rc, sfl-v1, sfl-v1-free (default: ${DEFAULT-VALUE}).")
    List<String> variants;

    @Option(names = "--allocator", defaultValue = "fixed-mmap", description = "default or fixed-mmap (glibc mmap"
            + " threshold fixed at 1 MiB in the children; default: ${DEFAULT-VALUE}).")
    String allocator;

    @Option(names = "--out", description = "Result file (default: a new bench-results/server-memory-<time>.json).")
    Path out;

    @Option(names = "--overwrite", description = "Replace --out if it exists.")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        ModelPresets.get(preset.startsWith("random:") ? preset.substring(7) : preset);
        Fleets.resolve(fleet);
        if (!allocator.equals("default") && !allocator.equals("fixed-mmap")) {
            throw new org.memsfl.util.BadInputException("--allocator: expected default or fixed-mmap, got '" + allocator + "'");
        }
        BenchCommand.atLeast("--batch-size", batch, 1);
        BenchCommand.atLeast("--seq-len", seqLen, 1);
        BenchCommand.atLeast("--rounds", rounds, 1);
        for (String v : variants) {
            if (!ServerMemoryBench.variantIds().contains(v)) {
                throw new org.memsfl.util.BadInputException("--variants: expected some of "
                        + String.join(", ", ServerMemoryBench.variantIds()) + ", got '" + v + "'");
            }
        }
        Path file = BenchCommand.resultFile(out, overwrite, "server-memory");
        ServerMemoryBench.main(new String[] {preset.startsWith("random:") ? preset.substring(7) : preset, fleet,
                String.valueOf(batch), String.valueOf(seqLen), String.valueOf(rounds), file.toString(),
                String.join(",", variants), "true", allocator});
        System.err.println("wrote " + file);
        return Main.EXIT_OK;
    }
}
