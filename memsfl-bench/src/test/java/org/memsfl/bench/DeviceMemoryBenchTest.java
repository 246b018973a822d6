package org.memsfl.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.cost.MemoryModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;

/**
 * The child side of {@link DeviceMemoryBench} in this JVM, on stories260K (5 layers, its own tokenizer) with a small
 * JSON-lines data file: one step per variant, cut 2 against the full model.
 */
class DeviceMemoryBenchTest {

    @TempDir
    Path tmp;

    private Path data() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            lines.add("{\"prompt\": \"Tell me a story about a cat named Tom number " + i + ".\", \"response\": "
                    + "\"Once upon a time there was a little cat called Tom. He liked to play in the garden with his "
                    + "friend the dog. One day they found a big red ball under the tree and they played all day long "
                    + "until the sun went down and mom called them home.\"}");
        }
        Path f = tmp.resolve("stories.jsonl");
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    @SuppressWarnings("unchecked")
    void cutTwoHoldsLessThanFullModelAndReportsEveryField() throws Exception {
        DeviceMemoryBench.Settings s = new DeviceMemoryBench.Settings("stories260K", data().toString(), 2, 2, 32, 0, 1,
                DeviceMemoryBench.lora("q,k,v,o"), org.memsfl.quant.WeightStorage.FP32);
        Map<String, Object> cut = DeviceMemoryChild.measure(s, "cut2");
        Map<String, Object> full = DeviceMemoryChild.measure(s, "full");

        for (Map<String, Object> m : List.of(cut, full)) {
            for (String k : List.of("rss_before_model_bytes", "peak_rss_bytes", "modeled_total_bytes",
                    "modeled_static_bytes", "rss_samples")) {
                assertThat(((Number) m.get(k)).longValue()).as(k).isPositive();
            }
            // RSS deltas are not sign-checked here: in this JVM (heap neither fixed nor pre-touched, other tests
            // before) RSS may fall below the baseline while a 1 MB model trains; the bench's children fix the heap
            long held = ((Number) m.get("peak_above_before_model_bytes")).longValue();
            assertThat(held).isEqualTo(((Number) m.get("peak_rss_bytes")).longValue()
                    - ((Number) m.get("rss_before_model_bytes")).longValue());
            assertThat(((Number) m.get("steps_peak_above_before_model_bytes")).longValue()).isLessThanOrEqualTo(held);
            assertThat(((Number) m.get("load_peak_above_before_model_bytes")).longValue()).isLessThanOrEqualTo(held);
            assertThat(m).containsKeys("load_peak_above_before_model_bytes", "load_transient_bytes",
                    "rss_after_data_bytes", "step_peak_above_before_model_bytes", "steps_measured_over_modeled");
            assertThat(m.get("measured_over_modeled")).isInstanceOf(Number.class);
            Map<String, Object> mb = (Map<String, Object>) m.get("model_bytes");
            for (String k : List.of("embedding", "layers", "frozen_total", "lora_params", "lora_grads",
                    "optimizer_state", "static_total")) {
                assertThat(((Number) mb.get(k)).longValue()).as(k).isPositive();
            }
            // AdamW keeps two moments per LoRA parameter; one step leaves one gradient per parameter
            assertThat(((Number) mb.get("optimizer_state")).longValue())
                    .isEqualTo(2 * ((Number) mb.get("lora_params")).longValue());
            assertThat(((Number) mb.get("lora_grads")).longValue()).isEqualTo(((Number) mb.get("lora_params")).longValue());
            assertThat(m.get("frozen_weights_match_cost_model")).isEqualTo(true);
            assertThat((List<List<Integer>>) m.get("batch_shapes")).containsExactly(List.of(2, 32));
            assertThat((Map<String, Object>) m.get("modeled")).containsKeys("frozen_weights", "lora_params",
                    "lora_grads", "optimizer_state", "activations", "buffers", "total");
        }
        assertThat(cut.get("gradient_at_cut")).asString().contains("synthetic");
        assertThat((List<Double>) full.get("losses")).allSatisfy(l -> assertThat(l).isFinite().isPositive());

        Map<String, Object> cb = (Map<String, Object>) cut.get("model_bytes");
        Map<String, Object> fb = (Map<String, Object>) full.get("model_bytes");
        long cutStatic = ((Number) cb.get("frozen_total")).longValue();
        long fullStatic = ((Number) fb.get("frozen_total")).longValue();
        assertThat(cutStatic).isLessThan(fullStatic);
        // the device segment holds no final norm or head, and exactly 2 of the 5 layers
        assertThat(((Number) cb.get("head")).longValue()).isZero();
        assertThat(((Number) fb.get("head")).longValue()).isPositive();
        assertThat(5 * ((Number) cb.get("layers")).longValue()).isEqualTo(2 * ((Number) fb.get("layers")).longValue());
        ModelConfig c = ModelResolver.resolveConfig("stories260K");
        MemoryModel mm = MemoryModel.of(c, s.lora(), 2, 32);
        assertThat(cutStatic).isEqualTo(mm.frozenBytes(LayerRange.deviceSegment(2)));
        assertThat(((Number) cut.get("modeled_total_bytes")).longValue()).isEqualTo(mm.device(2).total());
        assertThat(((Number) full.get("modeled_total_bytes")).longValue()).isEqualTo(mm.fullModel().total());

        Map<String, Object> children = new LinkedHashMap<>();
        children.put("cut2", cut);
        children.put("full", full);
        Map<String, Object> cmp = DeviceMemoryComparison.compare(children, "cut2", "full");
        Map<String, Object> h = (Map<String, Object>) cmp.get("headline");
        assertThat(h).containsKeys("measured_cut2_over_full", "measured_steps_cut2_over_full", "modeled_cut2_over_full", "static_cut2_over_full",
                "measured_less_than_a_third", "modeled_less_than_a_third", "measured_saving_bytes",
                "modeled_saving_bytes");
        assertThat((Double) h.get("modeled_cut2_over_full")).isBetween(0.0, 1.0);
        assertThat((Double) h.get("static_cut2_over_full")).isBetween(0.0, 1.0);
        assertThat(DeviceMemoryComparison.table(Map.of("model", "stories260K", "batch", 2, "seq_len", 32, "allocator",
                "default", "lora", Map.of("rank", 8, "targets", List.of("q")), "comparison", cmp)))
                .contains("cut2", "full", "modeled_cut2_over_full");
    }
}
