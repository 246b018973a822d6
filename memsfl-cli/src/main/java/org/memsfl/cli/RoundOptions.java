package org.memsfl.cli;

import org.memsfl.settings.Defaults;
import picocli.CommandLine.Option;

/** How long a federated run trains: simulate, compare and server. */
public final class RoundOptions {

    @Option(names = "--rounds", defaultValue = Defaults.ROUNDS, description = "Federated rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--local-steps", defaultValue = Defaults.LOCAL_STEPS,
            description = "Local steps per device per round (default: ${DEFAULT-VALUE}).")
    int localSteps;
}
