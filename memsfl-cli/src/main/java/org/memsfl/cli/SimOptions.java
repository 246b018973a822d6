package org.memsfl.cli;

import org.memsfl.settings.Defaults;
import org.memsfl.settings.RunSettings;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Options of simulate, compare and demo: the option groups the server shares ({@link RunOptions}), each default once
 * in {@link Defaults}, plus what the simulator supplies for its devices (data, fleet, device weight storage).
 */
public final class SimOptions {

    @Mixin
    RunOptions run;

    @Mixin
    DataOption data;

    @Option(names = "--fleet", defaultValue = Defaults.FLEET, description = "Fleet preset (paper-5, mixed-20,"
            + " paper-5-busy-server) or YAML/JSON file (default: ${DEFAULT-VALUE}).")
    String fleet;

    @Option(names = "--device-weights", defaultValue = Defaults.DEVICE_WEIGHTS, description = "How devices store their"
            + " layers' frozen linear weights: fp32, bf16, int8 (per-channel absmax) or nf4 (QLoRA's 4-bit NormalFloat,"
            + " double quantization); dequantized one layer at a time; the planner gives deeper cuts for smaller"
            + " storage (default: ${DEFAULT-VALUE}).")
    String deviceWeights;

    RunSettings settings(long seed) {
        return UserInput.check(() -> run.builder(seed).data(data.data()).fleet(fleet)
                .deviceWeights(org.memsfl.quant.WeightStorage.parse(deviceWeights)).build());
    }
}
