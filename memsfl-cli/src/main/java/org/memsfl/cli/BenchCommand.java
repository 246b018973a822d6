package org.memsfl.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The benchmarks behind one command group; each prints JSON and writes it under {@code bench-results/}. */
@Command(name = "bench", description = "Benchmarks that print JSON and write it under bench-results/.",
        subcommands = {BenchStepCommand.class, BenchServerMemoryCommand.class, BenchDeviceMemoryCommand.class})
public final class BenchCommand implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /**
     * Where a benchmark's result goes: {@code out} when given (refused if it exists, unless {@code overwrite}), else a
     * new file {@code bench-results/<name>-<UTC time>.json}. Checked before the benchmark runs.
     */
    /**
     * Refuses an option value below {@code min} before anything runs or is written.
     *
     * @throws BadInputException naming the option, what it expects and what it got
     */
    static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new BadInputException(option + ": expected at least " + min + ", got " + value);
        }
    }

    /** Refuses a {@code --batch-size} below 1 and a {@code --seq-len} outside [1, the model's context]. */
    static void batchShape(int batch, int seqLen, org.memsfl.model.ModelConfig model) {
        atLeast("--batch-size", batch, 1);
        atLeast("--seq-len", seqLen, 1);
        if (seqLen > model.maxSeqLen()) {
            throw new BadInputException("--seq-len: expected at most the model's context " + model.maxSeqLen()
                    + ", got " + seqLen);
        }
    }

    static Path resultFile(Path out, boolean overwrite, String name) {
        if (out != null) {
            if (Files.exists(out) && !overwrite) {
                throw new BadInputException("--out " + out + " exists; pass --overwrite to replace it, or another path");
            }
            return out;
        }
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path p = Path.of("bench-results", name + "-" + stamp + ".json");
        for (int i = 2; Files.exists(p); i++) {
            p = Path.of("bench-results", name + "-" + stamp + "-" + i + ".json");
        }
        return p;
    }

    /** Writes the result (temp file, then move) and prints it as JSON, or a table through {@code text}. */
    static void emit(Map<String, Object> result, Path file, boolean json, Runnable text) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Json.write(file, result);
        if (json) {
            System.out.println(Json.pretty(result));
        } else {
            text.run();
            System.out.println("wrote " + file);
        }
    }
}
