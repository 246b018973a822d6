package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.model.HfModelLoader;
import org.memsfl.model.HfModelWriter;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.RandomInit;
import org.memsfl.tokenizer.Tokenizer;
import org.memsfl.tokenizer.Tokenizers;
import org.memsfl.util.Json;

/**
 * Issue 8's rows for precision, tokenizer conventions and the context's end, each through the CLI on scaled-down
 * random-weight directories with real tokenizer files: a Qwen2.5-style directory (qwen2 config keys, bf16 storage,
 * a byte-level BPE tokenizer.json built from the GPT-2 vocabulary and merges, Qwen2.5's tokenizer_config.json with
 * {@code "bos_token": null}) and a GPT-2 directory (vocab.json + merges.txt).
 */
class CheckpointConventionsTest {

    @TempDir
    static Path root;
    static Path qwen;
    static Path gpt2;
    static Path data;

    @BeforeAll
    static void write() throws Exception {
        qwen = root.resolve("qwen2.5-style");
        gpt2 = root.resolve("gpt2-style");
        Files.createDirectories(qwen);
        Files.createDirectories(gpt2);
        Path tok = Assets.root().resolve("models/gpt2-tokenizer");
        // Qwen2's config keys (as in Qwen2.5-0.5B's config.json), sizes shrunk; weights stored in bf16
        String qwenConfig = """
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 50257, "hidden_size": 32,
                 "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "max_position_embeddings": 512, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
                 "tie_word_embeddings": true, "hidden_act": "silu", "torch_dtype": "bfloat16", "use_sliding_window": false,
                 "sliding_window": 32768, "max_window_layers": 21, "attention_dropout": 0.0, "bos_token_id": 50256,
                 "eos_token_id": 50256}""";
        Files.writeString(qwen.resolve("config.json"), qwenConfig);
        ModelConfig qc = HfModelLoader.readConfig(qwen);
        try (DecoderModel m = RandomInit.create(qc, LayerRange.all(qc.nLayers()), DType.F32, 21)) {
            HfModelWriter.save(m, qwen, DType.BF16);
        }
        Files.writeString(qwen.resolve("config.json"), qwenConfig);
        Files.writeString(qwen.resolve("tokenizer.json"), byteLevelTokenizerJson(tok));
        Files.writeString(qwen.resolve("tokenizer_config.json"), """
                {"add_prefix_space": false, "bos_token": null, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                 "unk_token": null, "errors": "replace", "model_max_length": 131072, "split_special_tokens": false,
                 "tokenizer_class": "Qwen2Tokenizer", "clean_up_tokenization_spaces": false}""");
        // GPT-2: config by the writer (GPT2Config keys), vocab.json + merges.txt as OpenAI ships them, context 64
        String gpt2Config = """
                {"model_type": "gpt2", "vocab_size": 50257, "n_embd": 16, "n_layer": 2, "n_head": 2, "n_positions": 64,
                 "layer_norm_epsilon": 1e-05, "activation_function": "gelu_new", "n_inner": null}""";
        Files.writeString(gpt2.resolve("config.json"), gpt2Config);
        ModelConfig gc = HfModelLoader.readConfig(gpt2);
        try (DecoderModel m = RandomInit.create(gc, LayerRange.all(gc.nLayers()), DType.F32, 22)) {
            HfModelWriter.save(m, gpt2, DType.F32);
        }
        Files.copy(tok.resolve("vocab.json"), gpt2.resolve("vocab.json"));
        Files.copy(tok.resolve("merges.txt"), gpt2.resolve("merges.txt"));
        // 320 real Dolly records (16 held out), so tokenising the data costs little next to training
        data = root.resolve("dolly-320.jsonl");
        StringBuilder lines = new StringBuilder();
        for (String line : Files.readAllLines(Assets.root().resolve("data/dolly15k/by_category/open_qa.jsonl")).subList(0, 320)) {
            JsonNode rec = Json.MAPPER.readTree(line);
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("prompt", rec.get("instruction").asText() + "\n");
            o.put("response", rec.get("response").asText());
            lines.append(Json.compact(o)).append('\n');
        }
        Files.writeString(data, lines);
    }

    /** A Qwen2-style tokenizer.json: byte-level BPE over the same vocabulary and merges, ByteLevel post-processor. */
    static String byteLevelTokenizerJson(Path gpt2Tokenizer) throws Exception {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode eot = added.addObject();
        eot.put("id", 50256).put("content", "<|endoftext|>").put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false).put("use_regex", true);
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false);
        model.set("vocab", Json.MAPPER.readTree(gpt2Tokenizer.resolve("vocab.json").toFile()));
        ArrayNode merges = model.putArray("merges");
        for (String line : Files.readAllLines(gpt2Tokenizer.resolve("merges.txt"))) {
            if (!line.isBlank() && !line.startsWith("#version")) {
                merges.add(line);
            }
        }
        return Json.MAPPER.writeValueAsString(root);
    }

    /** Row "--dtype bf16 or fp16 with any adapter": finetune, eval --adapter and generate --adapter all run. */
    @Test
    void bf16FinetuneLowersHeldOutLossAndItsAdapterServesEvalAndGenerate(@TempDir Path out) throws Exception {
        Cli.Result r = Cli.run("finetune", "--model", qwen.toString(), "--dtype", "bf16", "--data", data.toString(),
                "--steps", "20", "--batch-size", "4", "--seq-len", "48", "--eval-examples", "16", "--lr", "1e-2",
                "--warmup", "2", "--lora-targets", "q,k,v,o,gate,up,down", "--out", out.toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode s = Json.MAPPER.readTree(r.out());
        assertThat(s.get("eval_loss_after").asDouble()).isLessThan(s.get("eval_loss_before").asDouble());
        assertThat(Json.MAPPER.readTree(out.resolve("manifest.json").toFile()).toString()).contains("bf16");
        Cli.Result e = Cli.run("eval", "--model", qwen.toString(), "--dtype", "bf16", "--adapter",
                out.resolve("adapter").toString(), "--data", data.toString(), "--seq-len", "48", "--eval-examples", "16", "--batch-size", "4", "--json");
        assertThat(e.exitCode()).as(e.err()).isZero();
        // the adapter scores the same held-out batches as finetune's final eval: the same loss, to bf16 noise
        assertThat(Json.MAPPER.readTree(e.out()).get("loss").asDouble())
                .isCloseTo(s.get("eval_loss_after").asDouble(), within(1e-3));
        Cli.Result g = Cli.run("generate", "--model", qwen.toString(), "--dtype", "fp16", "--adapter",
                out.resolve("adapter").toString(), "--prompt", "Hello", "--max-tokens", "3", "--json");
        assertThat(g.exitCode()).as(g.err()).isZero();
        assertThat(Json.MAPPER.readTree(g.out()).get("ids").size()).isEqualTo(3);
    }

    /**
     * Row "--dtype bf16 ... in every command": a memsfl simulation with bf16 device segments and a bf16 server model
     * (float32 on the wire) trains and records its dtype; its eval loss lands within bf16 noise of the fp32 run's.
     */
    @Test
    void simulateTrainsInBf16(@TempDir Path out) throws Exception {
        double[] after = new double[2];
        String[] dtypes = {"fp32", "bf16"};
        for (int i = 0; i < 2; i++) {
            Path dir = out.resolve(dtypes[i]);
            Cli.Result r = Cli.run("simulate", "--method", "memsfl", "--model", "stories260K", "--dtype", dtypes[i],
                    "--rounds", "1", "--local-steps", "2", "--batch-size", "2", "--seq-len", "32", "--eval-examples", "8",
                    "--out", dir.toString());
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(Files.readString(dir.resolve("manifest.json"))).contains("\"dtype\" : \"" + dtypes[i] + "\"");
            JsonNode summary = Json.MAPPER.readTree(dir.resolve("summary.json").toFile());
            after[i] = finalEvalLoss(summary);
        }
        assertThat(after[1]).isCloseTo(after[0], within(2e-2 * after[0]));
    }

    /** The last finite number under a key naming the eval loss after training, wherever summary.json keeps it. */
    static double finalEvalLoss(JsonNode summary) {
        double[] found = {Double.NaN};
        summary.fields().forEachRemaining(e -> {
            if (e.getKey().contains("eval_loss") && e.getValue().isNumber()) {
                found[0] = e.getValue().asDouble();
            }
        });
        if (Double.isNaN(found[0])) {
            for (JsonNode child : summary) {
                if (child.isContainerNode()) {
                    double d = finalEvalLoss(child);
                    if (!Double.isNaN(d)) {
                        found[0] = d;
                    }
                }
            }
        }
        return found[0];
    }

    /**
     * Row "eval in bf16/fp16": the loss is taken in float32, so bf16 compute differs from fp32 compute on the same
     * (bf16-stored) weights only by the forward's rounding; within 2e-3 relative (it snapped to the bf16 grid before).
     */
    @Test
    void bf16EvalIsWithin2e3OfFp32OnTheSameWeights() throws Exception {
        double[] loss = new double[2];
        String[] dtypes = {"fp32", "bf16"};
        for (int i = 0; i < 2; i++) {
            Cli.Result r = Cli.run("eval", "--model", qwen.toString(), "--dtype", dtypes[i], "--data", data.toString(),
                    "--seq-len", "64", "--eval-examples", "16", "--json");
            assertThat(r.exitCode()).as(r.err()).isZero();
            loss[i] = Json.MAPPER.readTree(r.out()).get("loss").asDouble();
        }
        assertThat(Math.abs(loss[1] - loss[0]) / loss[0]).isLessThan(2e-3);
    }

    /**
     * {@code --lora-targets} under the checkpoint's own names reaches the simulator as it reaches finetune: on a
     * Phi-3-style directory (fused qkv_proj/gate_up_proj, phi3 config keys, bf16 storage) a memsfl round and a
     * compare of the split methods train adapters on exactly the fused modules PEFT names.
     */
    @Test
    void phi3CheckpointNamesReachSimulateAndCompare(@TempDir Path out) throws Exception {
        Path phi = out.resolve("phi3-style");
        Files.createDirectories(phi);
        String phiConfig = """
                {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "vocab_size": 50257, "hidden_size": 32,
                 "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4,
                 "max_position_embeddings": 512, "original_max_position_embeddings": 512, "rms_norm_eps": 1e-05,
                 "rope_theta": 10000.0, "rope_scaling": null, "sliding_window": 511, "tie_word_embeddings": false,
                 "hidden_act": "silu", "torch_dtype": "bfloat16", "attention_dropout": 0.0, "resid_pdrop": 0.0,
                 "embd_pdrop": 0.0, "bos_token_id": 50256, "eos_token_id": 50256}""";
        Files.writeString(phi.resolve("config.json"), phiConfig);
        ModelConfig pc = HfModelLoader.readConfig(phi);
        try (DecoderModel m = RandomInit.create(pc, LayerRange.all(pc.nLayers()), DType.F32, 23)) {
            HfModelWriter.save(m, phi, DType.BF16);
        }
        Files.writeString(phi.resolve("config.json"), phiConfig);
        Files.copy(qwen.resolve("tokenizer.json"), phi.resolve("tokenizer.json"));
        Path sim = out.resolve("sim");
        Cli.Result r = Cli.run("simulate", "--method", "memsfl", "--model", phi.toString(), "--data", data.toString(),
                "--lora-targets", "qkv_proj,o_proj,gate_up_proj,down_proj", "--partition", "iid", "--rounds", "1", "--local-steps", "1",
                "--batch-size", "2", "--seq-len", "32", "--eval-examples", "4", "--out", sim.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(Files.readString(sim.resolve("manifest.json"))).contains("qkv_proj");
        Cli.Result c = Cli.run("compare", "--methods", "memsfl,splitlora", "--model", phi.toString(), "--data",
                data.toString(), "--lora-targets", "q_proj,k_proj,v_proj", "--partition", "iid", "--rounds", "1", "--local-steps", "1",
                "--batch-size", "2", "--seq-len", "32", "--eval-examples", "4", "--out", out.resolve("cmp").toString());
        assertThat(c.exitCode()).as(c.err()).isZero();
        // a part of a fused module is refused before anything is written, naming the module
        Cli.Result bad = Cli.run("simulate", "--method", "memsfl", "--model", phi.toString(), "--data", data.toString(),
                "--lora-targets", "q_proj,v_proj", "--partition", "iid", "--rounds", "1", "--out", out.resolve("bad").toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("qkv_proj").doesNotContain("Exception");
        assertThat(out.resolve("bad").resolve("manifest.json")).doesNotExist();
    }

    /** Row "Qwen2.5 tokenizer": no BOS at all, nothing prepended to prompts or examples, EOS after the response. */
    @Test
    void qwenTokenizerAddsNoBosAndTrainingKeepsEos() {
        Tokenizer t = Tokenizers.load(qwen);
        assertThat(t.bosId()).isEmpty();
        assertThat(t.addsBos()).isFalse();
        assertThat(t.addsEos()).isFalse();
        assertThat(t.eosId()).hasValue(50256);
        var ex = new org.memsfl.data.Tokenization(t, 64).apply(new org.memsfl.data.Example("Say hi.", " Hi!", "k"));
        int[] body = t.encode("Say hi. Hi!");
        assertThat(ex.inputs()[0]).isEqualTo(body[0]);
        assertThat(ex.inputs()).hasSize(body.length);            // body + EOS, shifted by one
        assertThat(ex.targets()[ex.targets().length - 1]).isEqualTo(50256);
    }

    /**
     * Row "eval --text on GPT-2": nothing appended or prepended; the loss is the mean next-token loss over ids 1..n-1
     * of the plain encoding, computed here from the model's logits in float64 (the field's perplexity convention).
     */
    @Test
    void gpt2TextIsScoredWithoutAddedTokens() throws Exception {
        String text = "The quick brown fox jumps over the lazy dog.";
        Cli.Result r = Cli.run("eval", "--model", gpt2.toString(), "--text", text, "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = Json.MAPPER.readTree(r.out());
        assertThat(j.get("added").get("bos").asBoolean()).isFalse();
        assertThat(j.get("added").get("eos").asBoolean()).isFalse();
        assertThat(j.get("strided").asBoolean()).isFalse();
        int[] ids = Tokenizers.load(gpt2).encode(text);
        assertThat(j.get("tokens").asLong()).isEqualTo(ids.length - 1);
        assertThat(j.get("loss").asDouble()).isCloseTo(referenceLoss(ids, 0, ids.length), within(1e-5));
    }

    /**
     * Row "eval text longer than the context": strided windows, said in the JSON; every id after the first is scored
     * once, each with at least context - stride ids before it. The oracle sums, per window, the float64 losses of the
     * ids that window scores.
     */
    @Test
    void textLongerThanTheContextIsScoredInStridedWindows() throws Exception {
        String text = Files.readString(Assets.root().resolve("data/tinyshakespeare/input.txt")).substring(0, 600);
        int[] ids = Tokenizers.load(gpt2).encode(text);
        assertThat(ids.length).isGreaterThan(64 + 32);
        Cli.Result r = Cli.run("eval", "--model", gpt2.toString(), "--text", text, "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("windows");
        JsonNode j = Json.MAPPER.readTree(r.out());
        assertThat(j.get("strided").asBoolean()).isTrue();
        assertThat(j.get("context").asInt()).isEqualTo(64);
        assertThat(j.get("stride").asInt()).isEqualTo(32);
        assertThat(j.get("tokens").asLong()).isEqualTo(ids.length - 1);
        // independent windows: window k ends at min(n, 65 + 32k), starts 65 ids earlier, scores ids after the last end
        double sum = 0;
        int scored = 1;
        for (int end = Math.min(ids.length, 65); ; end = Math.min(ids.length, end + 32)) {
            int begin = Math.max(0, end - 65);
            sum += nllSum(ids, begin, end, scored);
            scored = end;
            if (end == ids.length) {
                break;
            }
        }
        assertThat(j.get("loss").asDouble()).isCloseTo(sum / (ids.length - 1), within(1e-5));
    }

    /** Rows "prompt longer than the context" and "--max-tokens near the end of the context". */
    @Test
    void generateNeverStopsSilentlyAtTheContext() throws Exception {
        String longPrompt = "word ".repeat(80).strip();
        Cli.Result refused = Cli.run("generate", "--model", gpt2.toString(), "--prompt", longPrompt, "--max-tokens", "4");
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains("80 tokens").contains("context is 64 tokens").doesNotContain("Exception");
        Cli.Result cut = Cli.run("generate", "--model", gpt2.toString(), "--prompt", longPrompt, "--max-tokens", "4",
                "--truncate", "left", "--json");
        assertThat(cut.exitCode()).as(cut.err()).isZero();
        JsonNode c = Json.MAPPER.readTree(cut.out());
        assertThat(c.get("prompt_ids").size()).isEqualTo(60);
        assertThat(c.get("prompt_tokens_dropped").asInt()).isEqualTo(20);
        assertThat(c.get("ids").size()).isEqualTo(4);
        assertThat(c.get("stopped").asText()).isEqualTo("max_tokens");
        String nearEnd = "word ".repeat(58).strip();   // 58 ids: room for 64 - 58 + 1 = 7 new ones
        Cli.Result full = Cli.run("generate", "--model", gpt2.toString(), "--prompt", nearEnd, "--max-tokens", "100",
                "--json");
        assertThat(full.exitCode()).as(full.err()).isZero();
        JsonNode f = Json.MAPPER.readTree(full.out());
        assertThat(f.get("ids").size()).isEqualTo(7);
        assertThat(f.get("stopped").asText()).isEqualTo("context");
        assertThat(full.err().lines().filter(l -> l.contains("context")).count()).isEqualTo(1);
    }

    /** Mean float64 next-token loss over ids (begin, end) from one forward of ids[begin, end - 1). */
    static double referenceLoss(int[] ids, int begin, int end) {
        return nllSum(ids, begin, end, begin + 1) / (end - begin - 1);
    }

    /** Summed float64 next-token loss of ids[j], j in [max(from, begin + 1), end), given ids[begin, j). */
    static double nllSum(int[] ids, int begin, int end, int from) {
        try (DecoderModel m = HfModelLoader.load(gpt2, LayerRange.all(2), DType.F32)) {
            long[] in = new long[end - 1 - begin];
            for (int i = 0; i < in.length; i++) {
                in[i] = ids[begin + i];
            }
            Tensor logits = m.forward(Tensors.fromLongs(in, 1, in.length), ForwardContext.inference(null));
            float[] l = Tensors.toFloats(logits);
            int v = (int) logits.size(2);
            double sum = 0;
            for (int j = Math.max(from, begin + 1); j < end; j++) {
                int row = j - 1 - begin;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < v; k++) {
                    max = Math.max(max, l[row * v + k]);
                }
                double z = 0;
                for (int k = 0; k < v; k++) {
                    z += Math.exp(l[row * v + k] - max);
                }
                sum += max + Math.log(z) - l[row * v + ids[j]];
            }
            return sum;
        }
    }
}
