package org.memsfl.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelConfig;
import org.memsfl.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Architecture, parameter counts and bytes by dtype of a model. */
@Command(name = "info", description = "Show a model's architecture, parameter count and bytes by dtype.")
public final class InfoCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        try (LoadedModel loaded = modelOptions.load()) {
            DecoderModel m = loaded.model();
            ModelConfig c = m.config();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", loaded.id());
            out.put("family", c.family().name().toLowerCase());
            Map<String, Object> arch = new LinkedHashMap<>();
            arch.put("vocab_size", c.vocabSize());
            arch.put("dim", c.dim());
            arch.put("n_layers", c.nLayers());
            arch.put("n_heads", c.nHeads());
            arch.put("n_kv_heads", c.nKvHeads());
            arch.put("head_dim", c.headDim());
            arch.put("hidden_dim", c.hiddenDim());
            arch.put("max_seq_len", c.maxSeqLen());
            arch.put("norm_eps", c.normEps());
            arch.put("rope_theta", c.ropeTheta());
            arch.put("tied_embeddings", c.tiedEmbeddings());
            arch.put("qkv_bias", c.qkvBias());
            out.put("architecture", arch);
            out.put("parameters", m.parameterCount());
            out.put("bytes_by_dtype", m.bytesByDtype());
            out.put("tokenizer_vocab", loaded.tokenizer() == null ? null : loaded.tokenizer().vocabSize());
            if (common.json) {
                System.out.println(Json.pretty(out));
            } else {
                System.out.printf("model       %s (%s)%n", loaded.id(), out.get("family"));
                System.out.printf("layers      %d, dim %d, heads %d (kv %d), mlp %d, vocab %d, context %d%n", c.nLayers(),
                        c.dim(), c.nHeads(), c.nKvHeads(), c.hiddenDim(), c.vocabSize(), c.maxSeqLen());
                System.out.printf("parameters  %,d%n", m.parameterCount());
                m.bytesByDtype().forEach((d, b) -> System.out.printf("bytes %-5s %,d%n", d, b));
            }
            return Main.EXIT_OK;
        }
    }
}
