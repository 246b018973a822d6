package org.memsfl.cli;

import org.memsfl.settings.Defaults;
import picocli.CommandLine.Option;

/** How the planner sizes cuts: simulate, compare and server. */
public final class PlanOptions {

    @Option(names = "--plan-shape", description = "Size the cuts at this model's shape (e.g. random:gpt2-medium) and scale"
            + " them to the trained model's depth; default: plan at the trained model itself.")
    String planShape;

    @Option(names = "--safety-margin", defaultValue = Defaults.SAFETY_MARGIN,
            description = "Planner memory margin (default: ${DEFAULT-VALUE}).")
    double safetyMargin;
}
