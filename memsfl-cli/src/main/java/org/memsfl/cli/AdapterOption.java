package org.memsfl.cli;

import java.nio.file.Path;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.ModelConfig;
import picocli.CommandLine.Option;

/** An optional adapter directory applied on top of the model. */
public final class AdapterOption {

    @Option(names = "--adapter", description = "Adapter directory written by finetune (adapter.json + adapter.safetensors).")
    Path adapter;

    /** The adapter checked against the model's shapes, or null when none was given. */
    AdapterSet load(ModelConfig config) {
        if (adapter == null) {
            return null;
        }
        AdapterSet a = AdapterIO.load(adapter);
        AdapterIO.validateAgainst(a, config);
        return a;
    }
}
