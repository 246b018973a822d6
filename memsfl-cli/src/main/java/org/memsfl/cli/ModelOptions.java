package org.memsfl.cli;

import org.memsfl.engine.DType;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import picocli.CommandLine.Option;

/** Which model to load and in which dtype: a path, a Hub name, a known name, or random:&lt;preset&gt;. */
public final class ModelOptions {

    @Option(names = "--model", defaultValue = org.memsfl.settings.Defaults.MODEL,
            description = "A llama2.c .bin file, a Hugging Face directory, a Hub name org/name[@revision] (from the HF cache,"
                    + " downloaded if missing), a known name (stories260K) or random:<preset>"
                    + " (e.g. llama-3.2-1b, qwen3-0.6b, gemma-3-1b, phi-3.5-mini, smollm2-135m, gpt2; an unknown one lists all)."
                    + " Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--dtype", defaultValue = org.memsfl.settings.Defaults.DTYPE, description = "Frozen weights and"
            + " activations of every model copy: fp32, bf16 or fp16; LoRA factors, optimizer state and loss stay fp32"
            + " (default: ${DEFAULT-VALUE}).")
    String dtype;

    LoadedModel load() {
        return load(LayerRange.all(ModelResolver.resolveConfig(model).nLayers()));
    }

    LoadedModel load(LayerRange range) {
        return ModelResolver.resolve(model, range, DType.parse(dtype));
    }
}
