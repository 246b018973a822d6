package org.memsfl.cli;

import org.memsfl.engine.DType;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import picocli.CommandLine.Option;

/** Which model to load: a path, a known name, or random:&lt;preset&gt;. */
public final class ModelOptions {

    @Option(names = "--model", defaultValue = "stories260K",
            description = "A llama2.c .bin file, a Hugging Face directory, a Hub name org/name[@revision] (from the HF cache,"
                    + " downloaded if missing), a known name (stories260K) or random:<preset>"
                    + " (e.g. llama-3.2-1b, qwen3-0.6b, gemma-3-1b, phi-3.5-mini, smollm2-135m, gpt2; an unknown one lists all)."
                    + " Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--dtype", defaultValue = "fp32", description = "Compute dtype: fp32, bf16 or fp16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    LoadedModel load() {
        return load(LayerRange.all(ModelResolver.resolveConfig(model).nLayers()));
    }

    LoadedModel load(LayerRange range) {
        return ModelResolver.resolve(model, range, DType.parse(dtype));
    }
}
