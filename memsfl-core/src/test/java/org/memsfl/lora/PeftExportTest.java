package org.memsfl.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.memsfl.engine.DType;
import org.memsfl.engine.SafetensorsSource;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.engine.Tensors;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;
import org.memsfl.util.BadInputException;

/**
 * The PEFT export against an independent oracle: the test reads the exported files the way PEFT would (names,
 * {@code r}/{@code lora_alpha} and the rank/alpha patterns), folds each module's {@code scale * B A} into a copy of
 * the base weights, and runs the plain base model. Its logits must equal memsfl's adapter forward. Float64
 * throughout: the two paths differ only in summation order (~1e-15 on logits of order 1), so 1e-9 absolute leaves
 * room for rounding while any misplaced slice, wrong scale or transposed matrix (updates here change logits by more
 * than 1e-4) fails by orders of magnitude.
 */
class PeftExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOL = 1e-9;

    static Stream<Arguments> oracleCases() {
        return Stream.of(
                // every llama module and the untied embedding
                Arguments.of("tiny-llama", List.of("embed", "q", "k", "v", "o", "gate", "up", "down"), 0, 3),
                // q/k/v only: c_attn is the single module, rank 3r at top level
                Arguments.of("tiny-gpt2", List.of("q", "k", "v"), 0, 3),
                // two slices plus other modules and the tied embedding: c_attn's rank 2r through rank_pattern
                Arguments.of("tiny-gpt2", List.of("embed", "q", "v", "c_proj", "c_fc", "mlp_c_proj"), 0, 3),
                // one slice: rank unchanged, B padded with zero rows for k and v
                Arguments.of("tiny-gpt2", List.of("k"), 0, 3),
                // a server-side segment: layers 1..2 only, PEFT restricted by layers_to_transform
                Arguments.of("tiny-gpt2", List.of("q", "v", "mlp_c_proj"), 1, 3),
                Arguments.of("tiny-llama", List.of("q", "v"), 1, 3));
    }

    @ParameterizedTest
    @MethodSource("oracleCases")
    void exportedAdapterReproducesAdapterForward(String preset, List<String> targets, int from, int to,
                                                @TempDir Path tmp) throws IOException {
        ModelConfig c = ModelPresets.get(preset);
        try (DecoderModel model = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F64, 21);
             NoGradGuard ng = new NoGradGuard()) {
            boolean embedding = targets.contains(LoraModules.EMBEDDING) && from == 0;
            AdapterSet a = LoraGradientTest.randomised(AdapterSet.init(c, new LoraConfig(2, 5, 0, targets),
                    LayerRange.all(c.nLayers()), 4).to(DType.F64), 17).slice(from, to, embedding);
            Tensor ids = ids(c, 23);
            double[] base = Tensors.toDoubles(model.forward(ids, ForwardContext.inference(null)));
            double[] adapted = Tensors.toDoubles(model.forward(ids, ForwardContext.inference(a)));
            Path dir = tmp.resolve("peft");
            PeftExport.export(a, c, dir, "test/" + preset);

            double[] oracle = oracleLogits(model, dir, ids);
            assertThat(maxDiff(adapted, base)).as("the adapters change the logits").isGreaterThan(1e-4);
            assertThat(maxDiff(oracle, adapted)).as("PEFT reconstruction vs adapter forward").isLessThan(TOL);
        }
    }

    /** Negative control: the oracle notices when q's and k's blocks of the fused c_attn B are swapped. */
    @Test
    void oracleDetectsMisplacedSlice(@TempDir Path tmp) throws IOException {
        ModelConfig c = ModelPresets.get("tiny-gpt2");
        try (DecoderModel model = RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F64, 21);
             NoGradGuard ng = new NoGradGuard()) {
            AdapterSet a = LoraGradientTest.randomised(AdapterSet.init(c, new LoraConfig(2, 5, 0, List.of("q", "k")),
                    LayerRange.all(c.nLayers()), 4).to(DType.F64), 17);
            Tensor ids = ids(c, 23);
            double[] adapted = Tensors.toDoubles(model.forward(ids, ForwardContext.inference(a)));
            Path dir = tmp.resolve("peft");
            PeftExport.export(a, c, dir, null);
            Path file = dir.resolve(PeftExport.TENSORS_FILE);
            Map<String, Tensor> t;
            try (SafetensorsSource src = SafetensorsSource.open(file)) {
                t = new LinkedHashMap<>(src.loadAll());
            }
            String name = "base_model.model.transformer.h.1.attn.c_attn.lora_B.weight";
            long d = c.dim();
            Tensor b = t.get(name);
            Tensor swapped = torch.cat(new org.bytedeco.pytorch.TensorVector(b.narrow(0, d, d), b.narrow(0, 0, d),
                    b.narrow(0, 2 * d, d)), 0);
            t.put(name, swapped);
            SafetensorsWriter.write(file, t, Map.of("format", "pt"));
            assertThat(maxDiff(oracleLogits(model, dir, ids), adapted)).isGreaterThan(1e-4);
        }
    }

    @Test
    void llamaNamesShapesAndConfig(@TempDir Path tmp) throws IOException {
        ModelConfig c = ModelPresets.get("tiny-llama");
        List<String> targets = List.of("embed", "q", "k", "v", "o", "gate", "up", "down");
        AdapterSet a = AdapterSet.init(c, new LoraConfig(4, 8, 0.05, targets), LayerRange.all(c.nLayers()), 1);
        Path dir = tmp.resolve("out");
        PeftExport.export(a, c, dir, "meta-llama/Tiny");

        int d = c.dim();
        int kv = c.kvDim();
        int h = c.hiddenDim();
        Map<String, long[]> expected = new LinkedHashMap<>();
        expected.put("base_model.model.model.embed_tokens.lora_embedding_A", new long[] {4, c.vocabSize()});
        expected.put("base_model.model.model.embed_tokens.lora_embedding_B", new long[] {d, 4});
        for (int i = 0; i < c.nLayers(); i++) {
            String p = "base_model.model.model.layers." + i + ".";
            put(expected, p + "self_attn.q_proj", d, d);
            put(expected, p + "self_attn.k_proj", d, kv);
            put(expected, p + "self_attn.v_proj", d, kv);
            put(expected, p + "self_attn.o_proj", d, d);
            put(expected, p + "mlp.gate_proj", d, h);
            put(expected, p + "mlp.up_proj", d, h);
            put(expected, p + "mlp.down_proj", h, d);
        }
        try (SafetensorsSource src = SafetensorsSource.open(dir.resolve(PeftExport.TENSORS_FILE))) {
            assertThat(src.names()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            expected.forEach((n, s) -> {
                assertThat(src.info(n).shape()).as(n).containsExactly(s);
                assertThat(src.info(n).dtype()).as(n).isEqualTo(DType.F32);
            });
            assertThat(src.metadata()).containsEntry("format", "pt");
            // the values are the adapters' own, untouched
            assertThat(Tensors.toFloats(src.load("base_model.model.model.layers.2.self_attn.k_proj.lora_A.weight")))
                    .containsExactly(Tensors.toFloats(a.get(2, "k").a()));
        }
        JsonNode cfg = JSON.readTree(dir.resolve(PeftExport.CONFIG_FILE).toFile());
        assertThat(cfg.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(cfg.get("task_type").asText()).isEqualTo("CAUSAL_LM");
        assertThat(cfg.get("r").asInt()).isEqualTo(4);
        assertThat(cfg.get("lora_alpha").asDouble()).isEqualTo(8.0);
        assertThat(cfg.get("lora_dropout").asDouble()).isEqualTo(0.05);
        assertThat(strings(cfg.get("target_modules"))).containsExactlyInAnyOrder("q_proj", "k_proj", "v_proj",
                "o_proj", "gate_proj", "up_proj", "down_proj", "embed_tokens");
        assertThat(cfg.get("base_model_name_or_path").asText()).isEqualTo("meta-llama/Tiny");
        assertThat(cfg.get("bias").asText()).isEqualTo("none");
        assertThat(cfg.get("fan_in_fan_out").asBoolean()).isFalse();
        assertThat(cfg.get("inference_mode").asBoolean()).isTrue();
        assertThat(cfg.get("modules_to_save").isNull()).isTrue();
        assertThat(cfg.get("rank_pattern").size()).isZero();
        assertThat(cfg.get("alpha_pattern").size()).isZero();
        assertThat(cfg.get("layers_to_transform").isNull()).isTrue();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no temporary directory is left").containsExactly("out");
        }
    }

    @Test
    void gpt2FusesSlicesAndKeepsOtherModulesAtRankR(@TempDir Path tmp) throws IOException {
        ModelConfig c = ModelPresets.get("tiny-gpt2");
        AdapterSet a = AdapterSet.init(c, new LoraConfig(4, 8, 0, List.of("q", "v", "c_proj", "mlp_c_proj")),
                LayerRange.all(c.nLayers()), 1);
        Path dir = tmp.resolve("out");
        PeftExport.export(a, c, dir, "gpt2");
        JsonNode cfg = JSON.readTree(dir.resolve(PeftExport.CONFIG_FILE).toFile());
        assertThat(cfg.get("r").asInt()).isEqualTo(4);
        assertThat(cfg.get("lora_alpha").asDouble()).isEqualTo(8.0);
        assertThat(cfg.get("rank_pattern").get("c_attn").asInt()).isEqualTo(8);
        assertThat(cfg.get("alpha_pattern").get("c_attn").asDouble()).isEqualTo(16.0);
        assertThat(cfg.get("fan_in_fan_out").asBoolean()).isTrue();
        // PEFT matches list entries as path suffixes: a bare "c_proj" would select both projections, so each is
        // named with its parent
        assertThat(strings(cfg.get("target_modules"))).containsExactlyInAnyOrder("c_attn", "attn.c_proj", "mlp.c_proj");
        try (SafetensorsSource src = SafetensorsSource.open(dir.resolve(PeftExport.TENSORS_FILE))) {
            String p = "base_model.model.transformer.h.0.";
            assertThat(src.info(p + "attn.c_attn.lora_A.weight").shape()).containsExactly(8, c.dim());
            assertThat(src.info(p + "attn.c_attn.lora_B.weight").shape()).containsExactly(3L * c.dim(), 8);
            assertThat(src.info(p + "attn.c_proj.lora_A.weight").shape()).containsExactly(4, c.dim());
            assertThat(src.info(p + "mlp.c_proj.lora_A.weight").shape()).containsExactly(4, c.hiddenDim());
            assertThat(src.names()).hasSize(3 * 3 * 2);
        }
    }

    @Test
    void gpt2QkvOnlyScalesTopLevelRankAndAlpha(@TempDir Path tmp) throws IOException {
        ModelConfig c = ModelPresets.get("tiny-gpt2");
        AdapterSet a = AdapterSet.init(c, new LoraConfig(2, 3, 0, List.of("q", "k", "v")), LayerRange.all(3), 1);
        PeftExport.export(a, c, tmp.resolve("x"), null);
        JsonNode cfg = JSON.readTree(tmp.resolve("x").resolve(PeftExport.CONFIG_FILE).toFile());
        assertThat(cfg.get("r").asInt()).isEqualTo(6);
        assertThat(cfg.get("lora_alpha").asDouble()).isEqualTo(9.0);
        assertThat(cfg.get("rank_pattern").size()).isZero();
        assertThat(cfg.get("base_model_name_or_path").isNull()).isTrue();
        assertThat(strings(cfg.get("target_modules"))).containsExactly("c_attn");
    }

    @Test
    void layerSubsetIsRestrictedByLayersToTransform(@TempDir Path tmp) throws IOException {
        ModelConfig c = ModelPresets.get("tiny-llama");
        AdapterSet a = AdapterSet.init(c, new LoraConfig(2, 4, 0, List.of("q")), LayerRange.all(3), 1).slice(1, 3, false);
        PeftExport.export(a, c, tmp.resolve("x"), null);
        JsonNode cfg = JSON.readTree(tmp.resolve("x").resolve(PeftExport.CONFIG_FILE).toFile());
        assertThat(cfg.get("layers_to_transform").toString()).isEqualTo("[1,2]");
        assertThat(cfg.get("layers_pattern").asText()).isEqualTo("layers");
    }

    @Test
    void refusesMismatchedModelAndForeignDirectory(@TempDir Path tmp) throws IOException {
        ModelConfig llama = ModelPresets.get("tiny-llama");
        ModelConfig gpt2 = ModelPresets.get("tiny-gpt2");
        AdapterSet a = AdapterSet.init(llama, new LoraConfig(2, 4, 0, List.of("gate")), LayerRange.all(3), 1);
        assertThatThrownBy(() -> PeftExport.export(a, gpt2, tmp.resolve("x"), null))
                .isInstanceOf(BadInputException.class).hasMessageContaining("layers.0.gate");
        assertThat(tmp.resolve("x")).doesNotExist();

        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(busy.resolve("notes.txt"), "keep me");
        assertThatThrownBy(() -> PeftExport.export(a, llama, busy, null))
                .isInstanceOf(BadInputException.class).hasMessageContaining("notes.txt");
        assertThat(busy.resolve("notes.txt")).hasContent("keep me");

        // a previous export is replaced whole
        Path out = tmp.resolve("out");
        PeftExport.export(a, llama, out, "first");
        PeftExport.export(a, llama, out, "second");
        assertThat(JSON.readTree(out.resolve(PeftExport.CONFIG_FILE).toFile()).get("base_model_name_or_path").asText())
                .isEqualTo("second");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("busy", "out");
        }
    }

    // ---- the oracle: PEFT's semantics, written from its documentation, not from PeftExport ----

    /**
     * Folds every exported module's {@code (alpha_m / r_m) * B A} into the model's base weights (in place) and
     * returns the plain model's logits. The embedding update is applied to a copy of the table used for the lookup
     * only: in PEFT the (possibly tied) LM head is a separate module the embedding LoRA does not touch.
     */
    static double[] oracleLogits(DecoderModel model, Path dir, Tensor ids) throws IOException {
        ModelConfig c = model.config();
        JsonNode cfg = JSON.readTree(dir.resolve(PeftExport.CONFIG_FILE).toFile());
        int r = cfg.get("r").asInt();
        double alpha = cfg.get("lora_alpha").asDouble();
        List<String> targetModules = strings(cfg.get("target_modules"));
        String root = c.family() == ModelFamily.LLAMA ? "base_model.model." : "base_model.model.transformer.";
        Tensor table = model.weights().get(c.family() == ModelFamily.LLAMA ? "model.embed_tokens.weight" : "wte.weight")
                .clone();
        try (SafetensorsSource src = SafetensorsSource.open(dir.resolve(PeftExport.TENSORS_FILE))) {
            Map<String, Tensor> t = src.loadAll();
            int used = 0;
            for (String name : t.keySet()) {
                boolean linear = name.endsWith(".lora_A.weight");
                boolean emb = name.endsWith(".lora_embedding_A");
                if (!linear && !emb) {
                    continue;
                }
                String module = name.substring(0, name.lastIndexOf(linear ? ".lora_A.weight" : ".lora_embedding_A"));
                assertThat(module).startsWith(root);
                String path = module.substring("base_model.model.".length());
                assertThat(targetModules.stream().anyMatch(tm -> path.equals(tm) || path.endsWith("." + tm)))
                        .as("%s is selected by target_modules %s", path, targetModules).isTrue();
                int rm = pattern(cfg.get("rank_pattern"), path, r);
                double am = pattern(cfg.get("alpha_pattern"), path, alpha);
                Tensor a = t.get(name);
                Tensor b = t.get(module + (linear ? ".lora_B.weight" : ".lora_embedding_B"));
                assertThat(b).as("partner of %s", name).isNotNull();
                assertThat(a.size(0)).as("rank of %s as PEFT would build it", name).isEqualTo(rm);
                assertThat(b.size(1)).as("rank of %s's B", name).isEqualTo(rm);
                Tensor ba = b.matmul(a).mul(new Scalar(am / rm)); // (out, in); for the embedding (dim, vocab)
                if (emb) {
                    table.add_(ba.t());
                } else {
                    String weight = module.substring(root.length()) + ".weight";
                    Tensor w = model.weights().get(weight);
                    assertThat(w).as("base weight %s", weight).isNotNull();
                    // PEFT adds transpose(B A) to a Conv1D's (in, out) weight; memsfl holds (out, in), so B A itself
                    w.add_(ba);
                }
                used += 2;
            }
            assertThat(used).as("every exported tensor is a LoRA A or B").isEqualTo(t.size());
        }
        Tensor h = torch.embedding(table, ids);
        if (c.family() == ModelFamily.GPT2) {
            h = h.add(model.weights().get("wpe.weight").narrow(0, 0, ids.size(1)));
        }
        ForwardContext plain = ForwardContext.inference(null);
        return Tensors.toDoubles(model.head(model.forwardLayers(h, 0, c.nLayers(), plain), plain));
    }

    /** PEFT's pattern lookup: the first key k with the module path matching {@code (.*\.)?k$}. */
    private static int pattern(JsonNode patterns, String path, int dflt) {
        Iterator<Map.Entry<String, JsonNode>> it = patterns.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (Pattern.compile("(.*\\.)?" + e.getKey() + "$").matcher(path).matches()) {
                return e.getValue().asInt();
            }
        }
        return dflt;
    }

    private static double pattern(JsonNode patterns, String path, double dflt) {
        Iterator<Map.Entry<String, JsonNode>> it = patterns.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (Pattern.compile("(.*\\.)?" + e.getKey() + "$").matcher(path).matches()) {
                return e.getValue().asDouble();
            }
        }
        return dflt;
    }

    private static Tensor ids(ModelConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long[] v = new long[2 * 7];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextInt(c.vocabSize());
        }
        return Tensors.fromLongs(v, 2, 7);
    }

    private static void put(Map<String, long[]> m, String module, long in, long out) {
        m.put(module + ".lora_A.weight", new long[] {4, in});
        m.put(module + ".lora_B.weight", new long[] {out, 4});
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static double maxDiff(double[] x, double[] y) {
        assertThat(x).hasSameSizeAs(y);
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }
}
