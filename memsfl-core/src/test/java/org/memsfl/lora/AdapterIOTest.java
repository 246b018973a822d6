package org.memsfl.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.SafetensorsSource;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.engine.Tensors;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;
import org.memsfl.model.ModelPresets;
import org.memsfl.util.BadInputException;

/** memsfl's adapter directory: an exact round trip, and one clear error per kind of damage. */
class AdapterIOTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ModelConfig GPT2 = ModelPresets.get("tiny-gpt2");
    private static final ModelConfig LLAMA = ModelPresets.get("tiny-llama");

    private static AdapterSet sample() {
        return LoraGradientTest.randomised(AdapterSet.init(GPT2, new LoraConfig(2, 6, 0.1,
                List.of("embed", "q", "v", "c_fc")), LayerRange.all(GPT2.nLayers()), 5), 8);
    }

    @Test
    void roundTripIsExact(@TempDir Path tmp) {
        AdapterSet a = sample();
        Path dir = tmp.resolve("adapter");
        AdapterIO.save(a, dir, GPT2, "random:tiny-gpt2", Map.of("round", "7"));
        AdapterSet b = AdapterIO.load(dir);

        assertThat(b.config()).isEqualTo(a.config());
        assertThat(b.asMap().keySet()).containsExactlyElementsOf(a.asMap().keySet());
        a.asMap().forEach((k, w) -> {
            LoraWeights v = b.asMap().get(k);
            assertThat(Tensors.shape(v.a())).as(k).containsExactly(Tensors.shape(w.a()));
            assertThat(Tensors.shape(v.b())).as(k).containsExactly(Tensors.shape(w.b()));
            // float32 in, float32 out: bit-for-bit
            assertThat(Tensors.toFloats(v.a())).as(k).containsExactly(Tensors.toFloats(w.a()));
            assertThat(Tensors.toFloats(v.b())).as(k).containsExactly(Tensors.toFloats(w.b()));
            assertThat(v.a().requires_grad() && v.b().requires_grad()).as("loaded adapters are trainable").isTrue();
        });

        AdapterIO.AdapterInfo info = AdapterIO.readInfo(dir);
        assertThat(info.modelFamily()).isEqualTo("gpt2");
        assertThat(info.model()).isEqualTo("random:tiny-gpt2");
        assertThat(info.layers()).containsExactly(0, 1, 2);
        assertThat(info.embedding()).isTrue();
        assertThat(info.numParameters()).isEqualTo(a.numParameters());
        assertThat(info.metadata()).containsEntry("round", "7");
        try (SafetensorsSource src = SafetensorsSource.open(dir.resolve(AdapterIO.TENSORS_FILE))) {
            assertThat(src.metadata()).containsEntry("format", AdapterIO.FORMAT).containsEntry("round", "7");
        }
        AdapterIO.validateAgainst(info, b, GPT2); // the right model passes
    }

    @Test
    void replacesAPreviousAdapterWholeAndLeavesNoTemporaries(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("adapter");
        AdapterIO.save(sample(), dir, null);
        AdapterSet smaller = AdapterSet.init(LLAMA, new LoraConfig(4, 4, 0, List.of("o")), LayerRange.all(3), 1);
        AdapterIO.save(smaller, dir, Map.of(AdapterIO.META_MODEL_FAMILY, "llama"));
        AdapterSet back = AdapterIO.load(dir);
        assertThat(back.asMap().keySet()).containsExactly("layers.0.o", "layers.1.o", "layers.2.o");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("adapter");
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(AdapterIO.CONFIG_FILE, AdapterIO.TENSORS_FILE);
        }
    }

    @Test
    void refusesToReplaceADirectoryWithOtherFiles(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(dir.resolve("metrics.jsonl"), "{}\n");
        assertThatThrownBy(() -> AdapterIO.save(sample(), dir, null))
                .isInstanceOf(BadInputException.class).hasMessageContaining("metrics.jsonl");
        assertThat(dir.resolve("metrics.jsonl")).hasContent("{}");
        assertThat(dir.resolve(AdapterIO.CONFIG_FILE)).doesNotExist();
    }

    @Test
    void missingThings(@TempDir Path tmp) throws IOException {
        assertThatThrownBy(() -> AdapterIO.load(tmp.resolve("nope")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("not found").hasMessageContaining("nope");
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> AdapterIO.load(file)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("is a file");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> AdapterIO.load(empty)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(AdapterIO.CONFIG_FILE).hasMessageContaining("missing");

        Path peft = tmp.resolve("peft");
        PeftExport.export(sample(), GPT2, peft, null);
        assertThatThrownBy(() -> AdapterIO.load(peft)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("PEFT export");

        Path noTensors = saved(tmp, "nt");
        Files.delete(noTensors.resolve(AdapterIO.TENSORS_FILE));
        assertThatThrownBy(() -> AdapterIO.load(noTensors)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(AdapterIO.TENSORS_FILE).hasMessageContaining("missing");
    }

    @Test
    void badJsonAndWrongFields(@TempDir Path tmp) throws IOException {
        Path bad = saved(tmp, "bad");
        Files.writeString(bad.resolve(AdapterIO.CONFIG_FILE), "{\"format\": \"memsfl-lora/1\", ");
        assertThatThrownBy(() -> AdapterIO.load(bad)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("not valid JSON").hasMessageContaining(AdapterIO.CONFIG_FILE);

        expectJsonError(tmp, "fmt", j -> j.put("format", "peft"), "field 'format' is \"peft\"");
        expectJsonError(tmp, "nofmt", j -> j.remove("format"), "field 'format' is missing");
        expectJsonError(tmp, "rankstr", j -> j.put("rank", "two"), "field 'rank' must be an integer");
        expectJsonError(tmp, "alpha0", j -> j.put("alpha", 0), "lora alpha must be > 0");
        expectJsonError(tmp, "family", j -> j.put("model_family", "bert"), "expected llama or gpt2");
        // the tensors hold rank-2 adapters: a config claiming rank 3 must not scale them by alpha/3
        expectJsonError(tmp, "rank3", j -> j.put("rank", 3), "with rank 3 expected (3, in)");
        expectJsonError(tmp, "target", j -> j.putArray("targets").add("embed").add("q").add("v"),
                "adapts module 'c_fc' which is not among the targets");
        expectJsonError(tmp, "layers", j -> j.putArray("layers").add(0).add(1), "from different saves");
        expectJsonError(tmp, "count", j -> j.put("num_parameters", 5), "from different saves");
    }

    @Test
    void badTensors(@TempDir Path tmp) throws IOException {
        expectTensorError(tmp, "noB", t -> t.remove("layers.1.q.lora_B"),
                "'layers.1.q.lora_A' has no partner 'layers.1.q.lora_B'");
        expectTensorError(tmp, "noA", t -> t.remove("layers.1.q.lora_A"),
                "'layers.1.q.lora_B' has no partner 'layers.1.q.lora_A'");
        expectTensorError(tmp, "shapeA", t -> t.put("layers.0.v.lora_A", torch.zeros(new long[] {3, 16},
                Tensors.options(torch.ScalarType.Float))), "'layers.0.v.lora_A' has shape [3, 16]; with rank 2");
        expectTensorError(tmp, "shapeB", t -> t.put("layers.0.v.lora_B", torch.zeros(new long[] {16, 2, 1},
                Tensors.options(torch.ScalarType.Float))), "'layers.0.v.lora_B' has shape [16, 2, 1]");
        expectTensorError(tmp, "name", t -> t.put("lm_head.weight", torch.zeros(new long[] {2, 2},
                Tensors.options(torch.ScalarType.Float))), "'lm_head.weight' is not an adapter tensor");
        expectTensorError(tmp, "int", t -> t.put("layers.0.v.lora_A", torch.zeros(new long[] {2, 16},
                Tensors.options(torch.ScalarType.Long))), "expected a floating type");
        expectTensorError(tmp, "nan", t -> t.get("layers.2.c_fc.lora_B").view(-1).get(3).fill_(
                new org.bytedeco.pytorch.Scalar(Double.NaN)), "'layers.2.c_fc.lora_B' contains NaN");
    }

    @Test
    void validateAgainstNamesKeyAndShapes() {
        AdapterSet llamaAdapters = AdapterSet.init(LLAMA, new LoraConfig(2, 4, 0, List.of("k")), LayerRange.all(3), 1);
        // tiny-llama's k projects to kvDim 8, tiny-gpt2's k slice to dim 16
        assertThatThrownBy(() -> AdapterIO.validateAgainst(llamaAdapters, GPT2))
                .isInstanceOf(BadInputException.class)
                .hasMessage("adapter 'layers.0.k': lora_B has shape [8, 2] but the gpt2 model implies [16, 2] (out, rank)");

        AdapterSet gate = AdapterSet.init(LLAMA, new LoraConfig(2, 4, 0, List.of("gate")), LayerRange.all(3), 1);
        assertThatThrownBy(() -> AdapterIO.validateAgainst(gate, GPT2)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("adapter 'layers.0.gate'").hasMessageContaining("unknown LoRA target module");

        ModelConfig wider = new ModelConfig(ModelFamily.LLAMA, 64, 32, 3, 4, 2, 24, 64, 1e-5, 1e4, false, false);
        assertThatThrownBy(() -> AdapterIO.validateAgainst(gate, wider)).isInstanceOf(BadInputException.class)
                .hasMessage("adapter 'layers.0.gate': lora_A has shape [2, 16] but the llama model implies [2, 32] (rank, in)");

        ModelConfig shallow = new ModelConfig(ModelFamily.LLAMA, 64, 16, 2, 4, 2, 24, 64, 1e-5, 1e4, false, false);
        assertThatThrownBy(() -> AdapterIO.validateAgainst(gate, shallow)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("'layers.2.gate' is for layer 2 but the model has 2 layers");

        AdapterIO.validateAgainst(gate, LLAMA);
        AdapterIO.AdapterInfo info = new AdapterIO.AdapterInfo(gate.config(), "gpt2", "gpt2", List.of(0, 1, 2), false,
                gate.numParameters(), Map.of());
        assertThatThrownBy(() -> AdapterIO.validateAgainst(info, gate, LLAMA)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("trained for a gpt2 model (gpt2) but the model is llama");
    }

    private static Path saved(Path tmp, String name) {
        Path dir = tmp.resolve(name);
        AdapterIO.save(sample(), dir, Map.of(AdapterIO.META_MODEL_FAMILY, "gpt2"));
        return dir;
    }

    private static void expectJsonError(Path tmp, String name, Consumer<ObjectNode> edit, String message)
            throws IOException {
        Path dir = saved(tmp, name);
        Path f = dir.resolve(AdapterIO.CONFIG_FILE);
        ObjectNode j = (ObjectNode) JSON.readTree(f.toFile());
        edit.accept(j);
        Files.writeString(f, JSON.writeValueAsString(j));
        assertThatThrownBy(() -> AdapterIO.load(dir)).as(name).isInstanceOf(BadInputException.class)
                .hasMessageContaining(message).hasMessageNotContaining("\n");
    }

    private static void expectTensorError(Path tmp, String name, Consumer<Map<String, Tensor>> edit, String message) {
        Path dir = saved(tmp, name);
        Path f = dir.resolve(AdapterIO.TENSORS_FILE);
        Map<String, Tensor> t;
        try (SafetensorsSource src = SafetensorsSource.open(f)) {
            t = new LinkedHashMap<>(src.loadAll());
        }
        edit.accept(t);
        SafetensorsWriter.write(f, t, Map.of());
        assertThatThrownBy(() -> AdapterIO.load(dir)).as(name).isInstanceOf(BadInputException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining(message).hasMessageNotContaining("\n");
    }
}
