package org.memsfl.cli;

import java.util.List;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.Defaults;
import picocli.CommandLine.Option;

/** LoRA hyper-parameters, the same defaults in every command that trains ({@link Defaults}). */
public final class LoraOptions {

    @Option(names = "--lora-rank", defaultValue = Defaults.LORA_RANK, description = "LoRA rank r (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--lora-alpha", defaultValue = Defaults.LORA_ALPHA,
            description = "LoRA alpha; the update is scaled by alpha/r (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--lora-dropout", defaultValue = Defaults.LORA_DROPOUT,
            description = "Dropout on the adapter input (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--lora-targets", defaultValue = Defaults.LORA_TARGETS, split = ",",
            description = "Modules to adapt: llama q,k,v,o,gate,up,down; gpt2 q,k,v,c_proj,c_fc,mlp_c_proj; embed for the"
                    + " embedding (default: ${DEFAULT-VALUE}).")
    List<String> targets;

    LoraConfig config() {
        return UserInput.check(() -> new LoraConfig(rank, alpha, dropout, targets));
    }
}
