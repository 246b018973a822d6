package org.memsfl.cli;

import picocli.CommandLine.Option;

/** Options every command takes. */
public final class CommonOptions {

    @Option(names = "--json", description = "Print one machine-readable JSON document instead of text.")
    boolean json;

    @Option(names = "--debug", description = "Print stack traces of errors.")
    boolean debug;

    @Option(names = "--seed", defaultValue = org.memsfl.settings.Defaults.SEED, description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;
}
