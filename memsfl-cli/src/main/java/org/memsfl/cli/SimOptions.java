package org.memsfl.cli;

import org.memsfl.sim.SimSettings;
import picocli.CommandLine.Option;

/** Options of simulate, compare and demo. */
public final class SimOptions {

    @Option(names = "--model", defaultValue = "stories260K", description = "Trained model: a path, a Hub name org/name[@revision], stories260K or random:<preset> (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--plan-shape", description = "Size the cuts at this model's shape (e.g. random:gpt2-medium) and scale"
            + " them to the trained model's depth; default: plan at the trained model itself.")
    String planShape;

    @Option(names = "--data", defaultValue = "dolly", description = "Dataset (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--partition", defaultValue = "natural", description = "natural, iid or dirichlet:<alpha> (default: ${DEFAULT-VALUE}).")
    String partition;

    @Option(names = "--fleet", defaultValue = "paper-5", description = "Fleet preset (paper-5, mixed-20, paper-5-busy-server) or YAML/JSON file (default: ${DEFAULT-VALUE}).")
    String fleet;

    @Option(names = "--rounds", defaultValue = "4", description = "Federated rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--local-steps", defaultValue = "8", description = "Local steps per device per round (default: ${DEFAULT-VALUE}).")
    int localSteps;

    @Option(names = "--scheduler", defaultValue = "exact", description = "memsfl server order: fcfs, random, schrage, exact (default: ${DEFAULT-VALUE}).")
    String scheduler;

    @Option(names = "--aggregation", defaultValue = "fedavg", description = "fedavg (per layer), client-only, svd, or the robust fedmedian / fedtrimmedavg[:beta]"
            + " (coordinate-wise, unweighted) (default: ${DEFAULT-VALUE}).")
    String aggregation;

    @Option(names = "--batch-size", defaultValue = "4", description = "Sequences per local step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seq-len", defaultValue = "128", description = "Longest sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--lr", defaultValue = "3e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", defaultValue = "5", description = "Warm-up steps per optimizer (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Clipping norm per side (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--eval-examples", defaultValue = "96", description = "Held-out examples per evaluation (default: ${DEFAULT-VALUE}).")
    int evalExamples;

    @Option(names = "--safety-margin", defaultValue = "0.1", description = "Planner memory margin (default: ${DEFAULT-VALUE}).")
    double safetyMargin;

    @Option(names = "--wire-dtype", defaultValue = "fp32", description = "Activations and gradients on the wire: fp32, fp16,"
            + " bf16 or int8 (one scale per token); payloads are rounded through it and their bytes counted"
            + " (default: ${DEFAULT-VALUE}).")
    String wireDtype;

    @Option(names = "--device-weights", defaultValue = "fp32", description = "How devices store their layers' frozen"
            + " linear weights: fp32, bf16, int8 (per-channel absmax) or nf4 (QLoRA's 4-bit NormalFloat, double"
            + " quantization); dequantized one layer at a time; the planner gives deeper cuts for smaller storage"
            + " (default: ${DEFAULT-VALUE}).")
    String deviceWeights;

    @Option(names = "--server-recompute", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "memsfl's server recomputes each layer's activations just before its backward: one more forward"
                    + " of the server layers, one layer's activations held instead of all (default: on;"
                    + " --no-server-recompute for the plain method).")
    boolean serverRecompute;

    @picocli.CommandLine.Mixin
    LoraOptions lora;

    @Option(names = "--dtype", defaultValue = "fp32", description = "Frozen weights and activations of every model"
            + " copy: fp32, bf16 or fp16; LoRA factors, optimizer state and loss stay fp32 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @picocli.CommandLine.Mixin
    TemplateOption template;

    SimSettings settings(long seed) {
        return UserInput.check(() -> new SimSettings(model, planShape, data, partition, fleet, rounds, localSteps,
                scheduler, aggregation, batchSize, seqLen, lora.config(), lr, warmup, maxGradNorm, evalExamples,
                safetyMargin, org.memsfl.split.WireFormat.parse(wireDtype), seed, serverRecompute,
                org.memsfl.engine.DType.parse(dtype), template.template,
                org.memsfl.quant.WeightStorage.parse(deviceWeights)));
    }
}
