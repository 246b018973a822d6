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
            arch.put("dropout", c.dropout().toMap()); // applied in training passes only
            if (c.family() == org.memsfl.model.ModelFamily.LLAMA) {
                org.memsfl.model.ModelVariant v = c.variant();
                arch.put("block_style", v.style().name().toLowerCase());
                arch.put("rope_scaling", v.rope().type());
                if (!v.rope().type().equals("default")) {
                    arch.put("rope_factor", v.rope().factor());
                    arch.put("rope_attention_factor", v.rope().attentionFactor());
                }
                if (v.localRopeTheta() > 0) {
                    arch.put("rope_local_theta", v.localRopeTheta());
                }
                arch.put("sliding_window", v.slidingWindow() == 0 ? null : v.slidingWindow());
                int sliding = 0;
                for (int i = 0; i < c.nLayers(); i++) {
                    sliding += v.sliding(i) ? 1 : 0;
                }
                arch.put("sliding_layers", sliding);
                if (v.queryPreAttnScalar() > 0) {
                    arch.put("query_pre_attn_scalar", v.queryPreAttnScalar());
                }
                arch.put("attn_logit_softcap", v.attnSoftcap() == 0 ? null : v.attnSoftcap());
                arch.put("final_logit_softcap", v.finalSoftcap() == 0 ? null : v.finalSoftcap());
            }
            out.put("architecture", arch);
            out.put("parameters", m.parameterCount());
            out.put("bytes_by_dtype", m.bytesByDtype());
            out.put("tokenizer_vocab", loaded.tokenizer() == null ? null : loaded.tokenizer().vocabSize());
            if (common.json) {
                System.out.println(Json.pretty(out));
            } else {
                // the block style names the Hugging Face family (gemma2, phi3, ...); "llama" alone would hide it
                System.out.printf("model       %s (%s)%n", loaded.id(), arch.getOrDefault("block_style", out.get("family")));
                System.out.printf("layers      %d, dim %d, heads %d (kv %d), mlp %d, vocab %d, context %d%n", c.nLayers(),
                        c.dim(), c.nHeads(), c.nKvHeads(), c.hiddenDim(), c.vocabSize(), c.maxSeqLen());
                if (arch.containsKey("block_style")) {
                    Object window = arch.get("sliding_window");
                    System.out.printf("block       %s, head_dim %d, rope %s (theta %s), %s%n",
                            arch.get("block_style"), c.headDim(), arch.get("rope_scaling"), c.ropeTheta(),
                            window == null ? "no sliding window"
                                    : "sliding window " + window + " on " + arch.get("sliding_layers") + " layers");
                }
                System.out.printf("dropout     embedding %s, attention %s, residual %s (training only)%n",
                        c.dropout().embedding(), c.dropout().attention(), c.dropout().residual());
                System.out.printf("parameters  %,d%n", m.parameterCount());
                m.bytesByDtype().forEach((d, b) -> System.out.printf("bytes %-5s %,d%n", d, b));
            }
            return Main.EXIT_OK;
        }
    }
}
