package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.DType;
import org.memsfl.engine.SafetensorsSource;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.engine.Tensors;

/** Round trips through {@link HfModelWriter} and {@link HfModelLoader}, layer ranges, stored layouts and BF16. */
class HfModelLoaderTest {

    static final long[] IDS = {1, 7, 33, 2, 63, 0, 5, 9, 9, 40, 12, 3};

    static float[] logits(DecoderModel m) {
        return Tensors.toFloats(m.forward(Tensors.fromLongs(IDS, 2, 6), ForwardContext.inference(null)));
    }

    static DecoderModel random(String preset, long seed) {
        ModelConfig c = ModelPresets.get(preset);
        return RandomInit.create(c, LayerRange.all(c.nLayers()), DType.F32, seed);
    }

    /** F32 storage, same ops, same weights: the logits must be bit-identical, not merely close. */
    @Test
    void gpt2RoundTripIsExact(@TempDir Path dir) {
        try (DecoderModel orig = random("tiny-gpt2", 3)) {
            HfModelWriter.save(orig, dir, DType.F32);
            assertThat(HfModelLoader.readConfig(dir)).isEqualTo(orig.config());
            try (DecoderModel back = HfModelLoader.load(dir, LayerRange.all(3), DType.F32)) {
                assertThat(logits(back)).containsExactly(logits(orig));
            }
        }
        // Conv1D weights are stored (in, out) as GPT-2 checkpoints keep them: c_attn of dim 16 is [16, 48]
        try (SafetensorsSource src = SafetensorsSource.open(dir)) {
            assertThat(src.info("h.0.attn.c_attn.weight").shape()).containsExactly(16, 48);
            assertThat(src.info("h.0.mlp.c_proj.weight").shape()).containsExactly(32, 16);
            assertThat(src.names()).doesNotContain("lm_head.weight");
        }
    }

    @Test
    void llamaRoundTripIsExact(@TempDir Path dir) {
        try (DecoderModel orig = random("tiny-llama", 4)) {
            HfModelWriter.save(orig, dir, DType.F32);
            assertThat(HfModelLoader.readConfig(dir)).isEqualTo(orig.config());
            try (DecoderModel back = HfModelLoader.load(dir, LayerRange.all(3), DType.F32)) {
                assertThat(back.weights().keySet()).containsExactlyInAnyOrderElementsOf(orig.weights().keySet());
                assertThat(logits(back)).containsExactly(logits(orig));
            }
        }
    }

    /** q/k/v bias with a tied head: written as qwen2, read back to the same config and logits. */
    @Test
    void qwen2StyleRoundTripIsExact(@TempDir Path dir) {
        ModelConfig c = new ModelConfig(ModelFamily.LLAMA, 64, 16, 2, 4, 2, 24, 64, 1e-6, 1_000_000.0, true, true);
        try (DecoderModel orig = RandomInit.create(c, LayerRange.all(2), DType.F32, 5)) {
            HfModelWriter.save(orig, dir, DType.F32);
            assertThat(HfModelLoader.readConfig(dir)).isEqualTo(c);
            try (DecoderModel back = HfModelLoader.load(dir, LayerRange.all(2), DType.F32)) {
                assertThat(back.weights()).containsKey("model.layers.1.self_attn.k_proj.bias");
                assertThat(logits(back)).containsExactly(logits(orig));
            }
        }
    }

    /** GPT2LMHeadModel-style names, mask buffers and a saved tied head load to the same model. */
    @Test
    void gpt2PrefixBuffersAndSavedHeadAreHandled(@TempDir Path plain, @TempDir Path prefixed) {
        try (DecoderModel orig = random("tiny-gpt2", 8)) {
            HfModelWriter.save(orig, plain, DType.F32);
            HfModelWriter.save(orig, prefixed, DType.F32);
            Map<String, Tensor> w = new LinkedHashMap<>();
            try (SafetensorsSource src = SafetensorsSource.open(plain)) {
                src.loadAll().forEach((k, v) -> w.put("transformer." + k, v));
            }
            for (int i = 0; i < 3; i++) {
                // the causal-mask buffer older checkpoints carry
                w.put("transformer.h." + i + ".attn.bias", Tensors.fromFloats(new float[] {1, 0, 1, 1}, 1, 1, 2, 2));
            }
            w.put("lm_head.weight", w.get("transformer.wte.weight"));
            SafetensorsWriter.write(prefixed.resolve("model.safetensors"), w, Map.of("format", "pt"));
            try (DecoderModel a = HfModelLoader.load(prefixed, LayerRange.all(3), DType.F32)) {
                assertThat(logits(a)).containsExactly(logits(orig));
            }
        }
    }

    @Test
    void shardedCheckpointLoads(@TempDir Path dir) {
        try (DecoderModel orig = random("tiny-llama", 6)) {
            HfModelWriter.save(orig, dir, DType.F32);
            Map<String, Tensor> w;
            try (SafetensorsSource src = SafetensorsSource.open(dir)) {
                w = src.loadAll();
            }
            // small shards, then the single file goes away (writeSharded removes it) so the index is what loads
            assertThat(SafetensorsWriter.writeSharded(dir, w, 8_000, Map.of("format", "pt"))).hasSizeGreaterThan(2);
            try (DecoderModel back = HfModelLoader.load(dir, LayerRange.all(3), DType.F32)) {
                assertThat(logits(back)).containsExactly(logits(orig));
            }
        }
    }

    /** A device holds the embedding and layers [0, cut); the server the rest and the head; together they are the model. */
    @Test
    void segmentsHoldOnlyTheirTensorsAndComposeToTheWholeModel(@TempDir Path dir) {
        try (DecoderModel orig = random("tiny-llama", 9)) {
            HfModelWriter.save(orig, dir, DType.F32);
        }
        try (DecoderModel full = HfModelLoader.load(dir, LayerRange.all(3), DType.F32);
             DecoderModel device = HfModelLoader.load(dir, LayerRange.deviceSegment(1), DType.F32);
             DecoderModel server = HfModelLoader.load(dir, LayerRange.serverSegment(1, 3), DType.F32)) {
            assertThat(device.weights().keySet()).allMatch(n -> n.equals("model.embed_tokens.weight")
                    || n.startsWith("model.layers.0."));
            assertThat(device.weights()).containsKey("model.embed_tokens.weight");
            assertThat(server.weights().keySet()).noneMatch(n -> n.startsWith("model.layers.0.")
                    || n.equals("model.embed_tokens.weight"));
            assertThat(server.weights()).containsKeys("model.layers.2.mlp.up_proj.weight", "lm_head.weight");
            assertThat(device.parameterCount() + server.parameterCount()).isEqualTo(full.parameterCount());

            ForwardContext ctx = ForwardContext.inference(null);
            Tensor ids = Tensors.fromLongs(IDS, 2, 6);
            Tensor cut = device.forwardLayers(device.embed(ids, ctx), 0, 1, ctx);
            float[] split = Tensors.toFloats(server.head(server.forwardLayers(cut, 1, 3, ctx), ctx));
            assertThat(split).containsExactly(logits(full));
        }
    }

    /**
     * BF16 storage and compute. The reference is the same BF16 file computed in F32, so the only difference is the
     * arithmetic: bf16 keeps 8 significant bits (relative rounding 2^-9 ~ 2e-3 per operation); three blocks of
     * ~10 dependent roundings each, partly averaging out, give a few 1e-3 to 1e-2 relative (7e-3 of the largest
     * logit measured here). 3e-2 of the largest logit bounds that with margin, while a real defect (a wrong tensor,
     * a missed norm) moves logits by O(1) of their scale.
     */
    @Test
    void bf16ModelComputesInBf16AndStaysCloseToF32(@TempDir Path dir) {
        try (DecoderModel orig = random("tiny-llama", 11)) {
            HfModelWriter.save(orig, dir, DType.BF16);
        }
        try (SafetensorsSource src = SafetensorsSource.open(dir)) {
            assertThat(src.info("model.layers.0.self_attn.q_proj.weight").dtype()).isEqualTo(DType.BF16);
        }
        try (DecoderModel bf = HfModelLoader.load(dir, LayerRange.all(3), DType.BF16);
             DecoderModel f32 = HfModelLoader.load(dir, LayerRange.all(3), DType.F32)) {
            assertThat(bytesByDtype(bf)).containsOnlyKeys("BF16");
            assertThat(bytesByDtype(bf).get("BF16")).isEqualTo(2 * bf.parameterCount());
            assertThat(bytesByDtype(f32)).containsOnlyKeys("F32");
            Tensor out = bf.forward(Tensors.fromLongs(IDS, 2, 6), ForwardContext.inference(null));
            assertThat(DType.of(out.scalar_type().intern())).isEqualTo(DType.BF16);
            float[] a = Tensors.toFloats(out);
            float[] b = logits(f32);
            double maxAbs = 0;
            double maxDiff = 0;
            for (int i = 0; i < a.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(b[i]));
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
            assertThat(maxAbs).isGreaterThan(0);
            assertThat(maxDiff).isLessThan(3e-2 * maxAbs);
            // and it really computed in bf16: identical results would mean the compute dtype was ignored
            assertThat(maxDiff).isGreaterThan(0);
        }
    }

    /**
     * {@link DecoderModel#bytesByDtype()} computed with an interned scalar type: Tensor.scalar_type() returns a
     * fresh enum object that only {@code intern()} maps to the constant, and DType.of compares constants.
     */
    static Map<String, Long> bytesByDtype(DecoderModel m) {
        Map<String, Long> out = new java.util.TreeMap<>();
        for (Tensor t : m.weights().values()) {
            DType d = DType.of(t.scalar_type().intern());
            out.merge(d.name(), t.numel() * d.bytes(), Long::sum);
        }
        return out;
    }

    @Test
    void configIsReadWithoutWeights(@TempDir Path dir) throws Exception {
        java.nio.file.Files.copy(Assets.root().resolve("models/tiny-gpt2-random/config.json"), dir.resolve("config.json"));
        ModelConfig c = HfModelLoader.readConfig(dir);
        assertThat(c).isEqualTo(new ModelConfig(ModelFamily.GPT2, 21, 2, 1, 1, 1, 8, 1024, 1e-5, 10000.0, true, true,
                ModelVariant.STANDARD, new ModelDropout(0.1, 0.1, 0.1)));
    }
}
