package org.memsfl.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.PeftExport;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Converts a memsfl adapter to the Hugging Face PEFT layout. */
@Command(name = "export", description = "Export an adapter to another layout (peft: adapter_config.json + adapter_model.safetensors).")
public final class ExportCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--adapter", required = true, description = "Adapter directory written by finetune.")
    Path adapter;

    @Option(names = "--format", defaultValue = "peft", description = "Target layout; only peft (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--model", defaultValue = "stories260K", description = "The base model the adapter was trained on"
            + " (its shapes and family decide module names; default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--overwrite", description = "Replace an adapter exported earlier into --out.")
    boolean overwrite;

    @Override
    public Integer call() {
        org.memsfl.util.RunDirs.requireFresh(out, overwrite);
        if (!format.equals("peft")) {
            throw new BadInputException("--format must be peft, got '" + format + "'");
        }
        ModelConfig config = ModelResolver.resolveConfig(model);
        AdapterSet a = AdapterIO.load(adapter);
        AdapterIO.validateAgainst(a, config);
        PeftExport.export(a, config, out, model);
        System.out.println("wrote " + out.resolve("adapter_config.json") + " and " + out.resolve("adapter_model.safetensors"));
        return Main.EXIT_OK;
    }
}
