package org.memsfl.cli;

import org.memsfl.settings.Defaults;
import picocli.CommandLine.Option;

/** How memsfl's server serves its devices: simulate, compare and server. */
public final class ServerOrderOptions {

    @Option(names = "--scheduler", defaultValue = Defaults.SCHEDULER, description = "Which waiting local step memsfl's"
            + " server serves next: fcfs, random, schrage (longest predicted tail first), exact (Carlier's optimal"
            + " order of a step, as priorities), critical (longest remaining tail first; the server may idle briefly"
            + " before the predicted arrival of the device that ends the round) or best (per round, the one of exact, critical,"
            + " schrage and fcfs whose predicted round is shortest) (default: ${DEFAULT-VALUE}).")
    String scheduler;

    @Option(names = "--server-recompute", negatable = true, defaultValue = Defaults.SERVER_RECOMPUTE,
            fallbackValue = "true", description = "memsfl's server recomputes each layer's activations just before its"
            + " backward: one more forward of the server layers, one layer's activations held instead of all"
            + " (default: on; --no-server-recompute for the plain method).")
    boolean serverRecompute;
}
