package org.memsfl.cli;

import org.memsfl.settings.Defaults;
import picocli.CommandLine.Option;

/** How the fleet shares data, adapters and activations: simulate, compare and server. */
public final class FederationOptions {

    @Option(names = "--partition", defaultValue = Defaults.PARTITION,
            description = "How the devices split the data: natural, iid or dirichlet:<alpha> (default: ${DEFAULT-VALUE}).")
    String partition;

    @Option(names = "--aggregation", defaultValue = Defaults.AGGREGATION, description = "fedavg (per layer), client-only,"
            + " svd, or the robust fedmedian / fedtrimmedavg[:beta] (coordinate-wise, unweighted)"
            + " (default: ${DEFAULT-VALUE}).")
    String aggregation;

    @Option(names = "--wire-dtype", defaultValue = Defaults.WIRE_DTYPE, description = "Activations and gradients on the"
            + " wire: fp32, fp16, bf16, or int8 with one scale per token; the simulator rounds payloads through it and"
            + " counts their bytes (default: ${DEFAULT-VALUE}).")
    String wireDtype;
}
