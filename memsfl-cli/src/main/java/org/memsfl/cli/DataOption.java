package org.memsfl.cli;

import org.memsfl.settings.Defaults;
import picocli.CommandLine.Option;

/**
 * {@code --data}: the dataset a command trains or scores on, with its one default ({@link Defaults#DATA}). Mixed into
 * every command that reads a dataset: simulate, compare and demo (through {@link SimOptions}), finetune and eval
 * (through {@link DataOptions}), device, and bench device-memory.
 */
public final class DataOption {

    @Option(names = "--data", defaultValue = Defaults.DATA, description = "Dataset: dolly, e2e, shakespeare, gsm8k, or a"
            + " .jsonl (prompt/response) or .txt file (default: ${DEFAULT-VALUE}).")
    String data;

    String data() {
        return data;
    }
}
