package org.memsfl.cli;

import org.memsfl.train.TaskEvalPlan;
import org.memsfl.train.TaskEvaluator;
import picocli.CommandLine.Option;

/** Generation-based task evaluation, shared by eval, simulate, compare, demo and server. */
public final class GenerationOptions {

    @Option(names = "--generate", description = "Also generate answers to held-out prompts and score them with the "
            + "task metrics (E2E: BLEU, NIST, METEOR, ROUGE-L, CIDEr; GSM8K: exact match; others: ROUGE-L).")
    boolean generate;

    @Option(names = "--max-new-tokens", defaultValue = "48",
            description = "Longest generated answer in tokens (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--gen-batch-size", defaultValue = "8",
            description = "Prompts decoded together with the KV cache (default: ${DEFAULT-VALUE}).")
    int genBatchSize;

    @Option(names = "--gen-examples", defaultValue = "8",
            description = "Held-out prompts generated for, per device (eval: in all) (default: ${DEFAULT-VALUE}).")
    int genExamples;

    @Option(names = "--temperature", defaultValue = "0",
            description = "Sampling temperature of generated answers; 0 is greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--gen-every", defaultValue = "0",
            description = "Also generate every k rounds; 0 is the final round only (default: ${DEFAULT-VALUE}).")
    int genEvery;

    /** The run's generation plan, or null without {@code --generate}; errors name the option. */
    TaskEvalPlan plan(long seed) {
        if (!generate) {
            return null;
        }
        if (genEvery < 0) {
            throw new IllegalArgumentException("--gen-every must be >= 0 (0: final round only), got " + genEvery);
        }
        return new TaskEvalPlan(settings(seed), genExamples, genEvery);
    }

    /** The decoding settings; errors name the option. */
    TaskEvaluator.Settings settings(long seed) {
        if (genExamples < 1) {
            throw new IllegalArgumentException("--gen-examples must be >= 1, got " + genExamples);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        }
        if (genBatchSize < 1) {
            throw new IllegalArgumentException("--gen-batch-size must be >= 1, got " + genBatchSize);
        }
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("--temperature must be >= 0, got " + temperature);
        }
        return new TaskEvaluator.Settings(maxNewTokens, genBatchSize, temperature, seed);
    }
}
