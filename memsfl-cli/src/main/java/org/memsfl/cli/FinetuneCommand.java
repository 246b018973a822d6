package org.memsfl.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.memsfl.data.Batch;
import org.memsfl.data.BatchSampler;
import org.memsfl.data.DataResolver;
import org.memsfl.data.Dataset;
import org.memsfl.chat.ChatTemplate;
import org.memsfl.chat.PromptEncoder;
import org.memsfl.chat.TemplateChoice;
import org.memsfl.engine.Engine;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.train.AdamW;
import org.memsfl.train.EvalResult;
import org.memsfl.train.Evaluator;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.LrSchedule;
import org.memsfl.train.StepResult;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import org.memsfl.util.ProcessMemory;
import org.memsfl.util.RunDirs;
import org.memsfl.util.RunManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Centralized LoRA fine-tuning: the quality reference every split/federated method is compared with. */
@Command(name = "finetune", description = "Centralized LoRA fine-tuning; writes the adapter, manifest.json, metrics.jsonl"
        + " and summary.json.")
public final class FinetuneCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;
    @Mixin
    DataOptions dataOptions;
    @Mixin
    LoraOptions loraOptions;
    @Mixin
    CommonOptions common;
    @Mixin
    TemplateOption templateOption;

    @Option(names = "--steps", defaultValue = "300", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Mixin
    OptimizerOptions optimizer;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--out", required = true, description = "Output directory (created; files replaced atomically).")
    Path out;

    @Option(names = "--overwrite", description = "Replace the results of an earlier run in --out.")
    boolean overwrite;

    @Override
    public Integer call() {
        if (steps <= 0) {
            throw new BadInputException("--steps must be > 0, got " + steps);
        }
        // every option is checked before anything is written: an earlier run's files stay untouched on any error
        RunDirs.requireFresh(out, overwrite);
        LoraConfig requested = loraOptions.config();
        Engine.seed(common.seed);
        Dataset ds = DataResolver.resolve(dataOptions.data());
        try (LoadedModel loaded = modelOptions.load()) {
            LoraConfig lora = requested.forModel(loaded.config()); // the checkpoint's module names, fused on Phi-3
            if (loaded.tokenizer() == null) {
                throw new BadInputException("model " + loaded.id() + " has no tokenizer; finetune needs one");
            }
            int seqLen = dataOptions.seqLen(loaded.config().maxSeqLen());
            Optional<ChatTemplate> template = templateOption.resolve(modelOptions.model, loaded.id());
            Map<String, Object> config = config(loaded.id(), ds, seqLen, lora);
            config.put("lora_modules", lora.targets());
            config.put("model_dropout", loaded.config().dropout().toMap()); // the base model's, in training steps
            config.put("template", template.map(ChatTemplate::name).orElse(TemplateChoice.PLAIN));
            PromptEncoder tok = new PromptEncoder(loaded.tokenizer(), seqLen, template.orElse(null));
            List<Batch> evalBatches = org.memsfl.data.HeldOut.batches(ds, tok, dataOptions.evalExamples,
                    dataOptions.batchSize(), seqLen);
            BatchSampler sampler = new BatchSampler(tok.applyAll(ds.train()), dataOptions.batchSize(), seqLen, common.seed);
            AdapterSet adapters = AdapterSet.init(loaded.config(), lora, LayerRange.all(loaded.config().nLayers()),
                    common.seed);
            EvalResult before = Evaluator.evaluate(loaded.model(), adapters, evalBatches);
            log("eval before: loss %.4f (ppl %.2f) over %d tokens", before.loss(), before.perplexity(), before.tokens());
            // written only now: data, model, adapters and a forward through them have all been checked
            RunManifest.write(out, "finetune", config, common.seed);
            Path metrics = out.resolve("metrics.jsonl");
            long tokens = 0;
            long start = System.nanoTime();
            double lastLoss = Double.NaN;
            LrSchedule schedule = new LrSchedule(optimizer.lr, optimizer.warmup, steps, false);
            AdamW.Settings opt = new AdamW.Settings(0.9, 0.999, 1e-8, weightDecay);
            try (LoraTrainer trainer = new LoraTrainer(loaded.model(), adapters, opt, schedule, optimizer.maxGradNorm,
                    common.seed);
                 ProgressBar bar = new ProgressBarBuilder().setTaskName("finetune").setInitialMax(steps)
                         .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                         .setUpdateIntervalMillis(500).build()) {
                java.nio.file.Files.deleteIfExists(metrics);
                for (int step = 1; step <= steps; step++) {
                    Batch b = sampler.next();
                    StepResult r = trainer.step(b);
                    tokens += (long) b.batchSize() * b.seqLen();
                    lastLoss = r.loss();
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("step", step);
                    line.put("loss", r.loss());
                    line.put("lr", r.lr());
                    line.put("grad_norm", r.gradNorm());
                    line.put("target_tokens", r.targetTokens());
                    line.put("elapsed_s", (System.nanoTime() - start) / 1e9);
                    Json.appendLine(metrics, line);
                    bar.step();
                    bar.setExtraMessage(String.format(" loss %.3f", r.loss()));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            EvalResult after = Evaluator.evaluate(loaded.model(), adapters, evalBatches);
            double change = 100 * (after.loss() / before.loss() - 1);
            log("eval after:  loss %.4f (ppl %.2f); %.1f%% %s", after.loss(), after.perplexity(), Math.abs(change),
                    change <= 0 ? "lower" : "higher");
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", loaded.id());
            meta.put("data", ds.name());
            AdapterIO.save(adapters, out.resolve("adapter"), meta);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model", loaded.id());
            summary.put("data", ds.name());
            summary.put("steps", steps);
            summary.put("eval_loss_before", before.loss());
            summary.put("eval_loss_after", after.loss());
            summary.put("eval_perplexity_before", before.perplexity());
            summary.put("eval_perplexity_after", after.perplexity());
            summary.put("eval_tokens", after.tokens());
            summary.put("relative_improvement", 1 - after.loss() / before.loss());
            summary.put("final_train_loss", lastLoss);
            summary.put("train_seconds", seconds);
            summary.put("tokens_per_s", tokens / seconds);
            summary.put("lora_parameters", adapters.numParameters());
            summary.put("peak_rss_bytes", ProcessMemory.peakRssBytes());
            summary.put("adapter_dir", out.resolve("adapter").toString());
            Json.write(out.resolve("summary.json"), summary);
            if (common.json) {
                System.out.println(Json.pretty(summary));
            } else {
                System.out.printf("wrote %s (adapter/, manifest.json, metrics.jsonl, summary.json)%n", out);
            }
            return Main.EXIT_OK;
        }
    }

    private Map<String, Object> config(String modelId, Dataset ds, int seqLen, LoraConfig lora) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model", modelId);
        c.put("dtype", modelOptions.dtype);
        c.put("data", ds.name());
        c.put("train_examples", ds.train().size());
        c.put("eval_examples", Math.min(dataOptions.evalExamples, ds.eval().size()));
        c.put("steps", steps);
        c.put("batch_size", dataOptions.batchSize());
        c.put("seq_len", seqLen);
        c.put("lr", optimizer.lr);
        c.put("warmup", optimizer.warmup);
        c.put("weight_decay", weightDecay);
        c.put("max_grad_norm", optimizer.maxGradNorm);
        c.putAll(lora.toSettings());
        return c;
    }

    private static void log(String fmt, Object... args) {
        System.err.printf(fmt + "%n", args);
    }
}
