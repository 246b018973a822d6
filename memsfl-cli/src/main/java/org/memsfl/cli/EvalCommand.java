package org.memsfl.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.memsfl.data.Batch;
import org.memsfl.data.Batcher;
import org.memsfl.data.DataResolver;
import org.memsfl.data.Dataset;
import org.memsfl.data.Example;
import org.memsfl.data.Tokenization;
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
@Command(name = "eval", description = "Loss and perplexity on --text or on the held-out split of --data.")
public final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;
    @Mixin
    AdapterOption adapterOption;
    @Mixin
    CommonOptions common;
    @Mixin
    DataOptions dataOptions;

    @Option(names = "--text", description = "Score this text (loss on every token after BOS).")
    String text;

    @Override
    public Integer call() {
        if ((text == null) == (dataOptions.data == null)) {
            throw new BadInputException("give exactly one of --text or --data");
        }
        try (LoadedModel loaded = modelOptions.load()) {
            if (loaded.tokenizer() == null) {
                throw new BadInputException("model " + loaded.id() + " has no tokenizer; eval needs one");
            }
            AdapterSet adapters = adapterOption.load(loaded.config());
            int seqLen = dataOptions.seqLen(loaded.config().maxSeqLen());
            List<Batch> batches;
            String source;
            if (text != null) {
                batches = List.of(Batcher.collate(List.of(new Tokenization(loaded.tokenizer(), seqLen).apply(Example.text(text))),
                        seqLen));
                source = "text";
            } else {
                Dataset ds = DataResolver.resolve(dataOptions.data);
                batches = DataOptions.evalBatches(ds, loaded.tokenizer(), seqLen, dataOptions.batchSize, dataOptions.evalExamples);
                source = ds.name();
            }
            EvalResult r = Evaluator.evaluate(loaded.model(), adapters, batches);
            if (common.json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("model", loaded.id());
                j.put("data", source);
                j.put("loss", r.loss());
                j.put("perplexity", r.perplexity());
                j.put("tokens", r.tokens());
                System.out.println(Json.pretty(j));
            } else {
                System.out.printf("loss %.4f nats/token, perplexity %.3f over %d tokens%n", r.loss(), r.perplexity(), r.tokens());
            }
            return Main.EXIT_OK;
        }
    }
}
