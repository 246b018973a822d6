package org.memsfl.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.memsfl.data.Batch;
import org.memsfl.data.Batcher;
import org.memsfl.data.DataResolver;
import org.memsfl.data.Dataset;
import org.memsfl.data.Example;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.metrics.PredictionsFile;
import org.memsfl.train.TaskEvaluator;
import org.memsfl.data.Tokenization;
import org.memsfl.data.TextWindows;
import org.memsfl.data.TokenizedExample;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.LoadedModel;
import org.memsfl.train.EvalResult;
import org.memsfl.train.Evaluator;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Mean next-token loss (nats per target token) and perplexity on a text or a dataset's held-out split. */
@Command(name = "eval", description = "Loss and perplexity on --text or on the held-out split of --data; with "
        + "--generate, task metrics of generated answers.")
public final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;
    @Mixin
    AdapterOption adapterOption;
    @Mixin
    CommonOptions common;
    @Mixin
    DataOptions dataOptions;

    @Mixin
    GenerationOptions generation;
    @Mixin
    TemplateOption templateOption;

    @Option(names = "--out", description = "With --generate: write predictions.jsonl and metrics.json here "
            + "(refuses to replace an earlier run's files).")
    Path out;

    @Option(names = "--overwrite", description = "Replace predictions.jsonl and metrics.json of an earlier run in --out.")
    boolean overwrite;

    @Option(names = "--text", description = "Score this text as the field computes perplexity: the tokenizer's own"
            + " special tokens, no EOS appended, every token after the first a target. Longer than the context: strided"
            + " windows.")
    String text;

    @Option(names = "--stride", description = "Tokens newly scored per window of a --text longer than the context"
            + " (default: half the context).")
    Integer stride;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        // --data has its default (scored when no --text is given); given with --text it is a contradiction
        if (text != null && spec.commandLine().getParseResult().hasMatchedOption("--data")) {
            throw new BadInputException("give exactly one of --text or --data");
        }
        if (generation.generate && text != null) {
            throw new BadInputException("--generate needs --data (held-out prompts with references), not --text");
        }
        if (out != null && !generation.generate) {
            throw new BadInputException("--out is only written with --generate");
        }
        TaskEvaluator.Settings genSettings = generation.generate ? generation.settings(common.seed) : null;
        if (out != null) {
            org.memsfl.util.RunDirs.requireFresh(out, overwrite);
        }
        try (LoadedModel loaded = modelOptions.load()) {
            if (loaded.tokenizer() == null) {
                throw new BadInputException("model " + loaded.id() + " has no tokenizer; eval needs one");
            }
            AdapterSet adapters = adapterOption.load(loaded.config());
            int seqLen = dataOptions.seqLen(loaded.config().maxSeqLen());
            // --template: held-out examples and generation prompts rendered as finetune trains on them
            org.memsfl.chat.PromptEncoder encoder = new org.memsfl.chat.PromptEncoder(loaded.tokenizer(), seqLen,
                    templateOption.resolve(modelOptions.model, loaded.id()).orElse(null));
            List<Batch> batches;
            String source;
            Dataset ds = null;
            TextWindows windows = null;
            if (text != null) {
                // a free text sees the model's whole context unless --seq-len asks for less
                boolean given = spec.commandLine().getParseResult().hasMatchedOption("--seq-len");
                int context = given ? seqLen : loaded.config().maxSeqLen();
                int s = stride == null ? Math.max(1, context / 2) : stride;
                if (s < 1 || s > context) {
                    throw new BadInputException("--stride must be in [1, " + context + "] (the context), got " + s);
                }
                windows = TextWindows.of(loaded.tokenizer(), text, context, s);
                batches = new java.util.ArrayList<>();
                for (TokenizedExample w : windows.windows()) {
                    batches.add(Batcher.collate(List.of(w), context));
                }
                if (windows.windows().size() > 1) {
                    System.err.printf("memsfl eval: the text is %d tokens, longer than the context of %d: scored in %d"
                            + " windows, stride %d%n", windows.ids().length, context, windows.windows().size(), s);
                }
                source = "text";
            } else {
                ds = DataResolver.resolve(dataOptions.data());
                batches = org.memsfl.data.HeldOut.batches(ds, encoder, dataOptions.evalExamples, dataOptions.batchSize(), seqLen);
                source = ds.name();
            }
            EvalResult r = Evaluator.evaluate(loaded.model(), adapters, batches);
            TaskEvaluator.Result gen = null;
            if (genSettings != null) {
                List<HeldOutPrompt> prompts = HeldOutPrompt.group(ds.eval());
                prompts = prompts.subList(0, Math.min(generation.genExamples, prompts.size()));
                if (prompts.isEmpty()) {
                    throw new BadInputException("--generate: dataset " + ds.name() + " has no held-out prompts");
                }
                gen = TaskEvaluator.evaluate(loaded.model(), adapters, loaded.tokenizer(), encoder, ds.name(),
                        Map.of("", prompts), genSettings);
                if (out != null) {
                    PredictionsFile.write(out.resolve("predictions.jsonl"), gen.predictions());
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("model", loaded.id());
                    m.put("data", ds.name());
                    m.put("prompts", gen.predictions().size());
                    m.put("max_new_tokens", genSettings.maxNewTokens());
                    m.put("temperature", genSettings.temperature());
                    m.put("template", encoder.usesChatTemplate() ? encoder.template().name() : "plain");
                    m.put("metrics", gen.metrics());
                    Json.write(out.resolve("metrics.json"), m);
                }
            }
            if (common.json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("model", loaded.id());
                j.put("data", source);
                j.put("loss", r.loss());
                j.put("perplexity", r.perplexity());
                j.put("tokens", r.tokens());
                if (gen != null) {
                    j.put("generated", gen.predictions().size());
                    j.put("task_metrics", gen.metrics());
                }
                if (windows != null) {
                    Map<String, Object> added = new LinkedHashMap<>();
                    added.put("bos", windows.addedBos());
                    added.put("eos", windows.addedEos());
                    j.put("added", added);
                    j.put("context", windows.context());
                    j.put("windows", windows.windows().size());
                    j.put("strided", windows.windows().size() > 1);
                    j.put("stride", windows.stride());
                }
                System.out.println(Json.pretty(j));
            } else {
                System.out.printf("loss %.4f nats/token, perplexity %.3f over %d tokens%n", r.loss(), r.perplexity(), r.tokens());
                if (gen != null) {
                    StringBuilder line = new StringBuilder("generated " + gen.predictions().size() + " answers:");
                    gen.metrics().forEach((k, v) -> line.append(String.format(" %s %.4f", k, v)));
                    System.out.println(line);
                }
            }
            return Main.EXIT_OK;
        }
    }
}
