package org.memsfl.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.Models;

/** stories260K: V=512, d=64, 5 layers, 8 heads, 4 kv heads (kv dim 32), hidden 172, tied embeddings. */
class MemoryModelTest {

    private static final ModelConfig STORIES = ModelPresets.get("stories260K");
    private static final LoraConfig QV8 = new LoraConfig(8, 16, 0.0, List.of("q", "v"));
    /** One block's frozen values: norm, q, k and v, o, norm, gate/up/down. */
    private static final long LAYER = 64 + 64 * 64 + 2 * 32 * 64 + 64 * 64 + 64 + 3 * 172 * 64;

    private final MemoryModel mm = MemoryModel.of(STORIES, QV8, 2, 16);

    @Test
    void deviceFrozenWeightsMatchHandCountAndModelShapes() {
        long hand = (512 * 64 + 2 * LAYER) * 4;
        assertThat(hand).isEqualTo(494_592);
        assertThat(mm.device(2).frozenWeights()).isEqualTo(hand);
        long fromShapes = 0;
        for (Map.Entry<String, long[]> e : Models.shapes(STORIES, LayerRange.deviceSegment(2)).entrySet()) {
            long n = 1;
            for (long s : e.getValue()) {
                n *= s;
            }
            fromShapes += n;
        }
        assertThat(fromShapes * 4).isEqualTo(hand);
        // fp16 weights halve it
        assertThat(new MemoryModel(STORIES, QV8, 2, 16, 2, 4, true).device(2).frozenWeights()).isEqualTo(hand / 2);
    }

    @Test
    void loraCountsForRank8OnQAndV() {
        // q: 8 * (64 + 64) = 1024, v: 8 * (64 + 32) = 768 per layer
        assertThat(LoraCounts.perLayer(STORIES, QV8)).isEqualTo(1792);
        MemoryBreakdown d = mm.device(2);
        assertThat(d.loraParams()).isEqualTo(2 * 1792 * 4);
        assertThat(d.loraGrads()).isEqualTo(2 * 1792 * 4);
        assertThat(d.optimizerState()).isEqualTo(2 * 2 * 1792 * 4);
        // gpt2-medium, q and v are d x d: 8 * 2048 * 2 = 32768 per layer, 24 layers
        ModelConfig medium = ModelPresets.get("gpt2-medium");
        assertThat(LoraCounts.params(medium, QV8, LayerRange.all(24))).isEqualTo(786_432);
        // the embedding adapter adds r (V + d) where the embedding is held, and only there
        LoraConfig withEmb = new LoraConfig(8, 16, 0.0, List.of("q", "v", "embed"));
        assertThat(LoraCounts.params(STORIES, withEmb, LayerRange.deviceSegment(2))).isEqualTo(2 * 1792 + 8 * (512 + 64));
        assertThat(LoraCounts.params(STORIES, withEmb, LayerRange.serverSegment(2, 5))).isEqualTo(3 * 1792);
    }

    @Test
    void deviceActivationsAndBuffersByHand() {
        // per token per block: 6*64 + 2*32 + 4*172 + 8 heads + 2 norm stats = 1146, plus r=8 for each of q, v
        assertThat(Activations.blockPerToken(STORIES)).isEqualTo(1146);
        assertThat(Activations.loraPerToken(STORIES, QV8)).isEqualTo(16);
        long tokens = 2 * 16;
        MemoryBreakdown d = mm.device(2);
        assertThat(d.activations()).isEqualTo(2 * tokens * 1162 * 4);
        // outgoing activation and incoming gradient (B*T*d*4 each), ids and labels (B*T*8 each)
        assertThat(d.buffers()).isEqualTo(2 * tokens * 64 * 4 + 2 * tokens * 8);
        assertThat(d.total()).isEqualTo(494_592 + 14_336 + 14_336 + 28_672 + 297_472 + 16_896);
        // the math path keeps B * heads * T * T probabilities per layer, and (4 kv heads for 8 query heads) k and v
        // repeated to every head: 2 * 64 more per token
        MemoryBreakdown math = mm.withFusedAttention(false).device(2);
        assertThat(math.activations() - d.activations()).isEqualTo(2L * (2 * 8 * 16 * 16 * 4 + tokens * 2 * 64 * 4));
        // one layer's backward holds the probabilities' and the scores' gradients
        assertThat(math.buffers() - d.buffers()).isEqualTo(2L * 2 * 8 * 16 * 16 * 4);
    }

    /**
     * The engine runs attention unfused in a training pass with attention dropout, with soft-capping, and in half
     * precision at small T (org.memsfl.model.Attention); the model counts what that path keeps, by hand here. gpt2
     * (12 heads, no grouped kv) with GPT2Config's attn_pdrop 0.1, B=4, T=128: per layer 4*12*128*128 = 786,432 score
     * elements, each the probabilities, the scaled keep-mask and the dropped probabilities (3 x 4 bytes).
     */
    @Test
    void unfusedAttentionPathsAreCountedWhereTheEngineTakesThem() {
        ModelConfig gpt2 = ModelPresets.get("gpt2");
        LoraConfig qv = new LoraConfig(8, 16, 0.0, List.of("q", "v"));
        MemoryModel plain = MemoryModel.of(gpt2, qv, 4, 128);
        assertThat(plain.unfusedAttention()).isFalse();
        assertThat(plain.attentionScoreBytes()).isZero();
        ModelConfig dropped = withDropout(gpt2, new org.memsfl.model.ModelDropout(0.1, 0.1, 0.1));
        MemoryModel drop = MemoryModel.of(dropped, qv, 4, 128);
        long elements = 4L * 12 * 128 * 128;
        assertThat(drop.attentionScoreBytes()).isEqualTo(elements * 3 * 4);
        assertThat(drop.device(3).activations() - plain.device(3).activations()).isEqualTo(3 * elements * 12);
        assertThat(drop.device(3).buffers() - plain.device(3).buffers()).isEqualTo(2 * elements * 4);
        // embedding and residual dropout alone keep attention fused
        assertThat(MemoryModel.of(withDropout(gpt2, new org.memsfl.model.ModelDropout(0.1, 0, 0.1)), qv, 4, 128)
                .unfusedAttention()).isFalse();
        // half precision: unfused while the float32 scores fit 64 MiB, probabilities at 2 bytes
        MemoryModel half = new MemoryModel(gpt2, qv, 4, 128, 2, 2, true);
        assertThat(half.attentionScoreBytes()).isEqualTo(elements * 2);
        MemoryModel halfLong = new MemoryModel(gpt2, qv, 4, 1024, 2, 2, true); // 4*12*1024^2*4 B = 192 MiB: fused
        assertThat(halfLong.attentionScoreBytes()).isZero();
        // Gemma-2 soft-caps: tanh output besides the probabilities, and in half precision the float32 softmax output;
        // 8 heads over 4 kv heads also keep k and v repeated (2 x 8 x 256 per token)
        ModelConfig gemma = ModelPresets.get("gemma-2-2b");
        long e2 = 1L * 8 * 64 * 64;
        long repeated = 64L * 2 * gemma.qDim();
        assertThat(new MemoryModel(gemma, qv, 1, 64, 4, 4, true).attentionScoreBytes())
                .isEqualTo(e2 * (4 + 4) + repeated * 4);
        assertThat(new MemoryModel(gemma, qv, 1, 64, 2, 2, true).attentionScoreBytes())
                .isEqualTo(e2 * (2 + 2 + 4) + repeated * 2);
    }

    private static ModelConfig withDropout(ModelConfig c, org.memsfl.model.ModelDropout d) {
        return new ModelConfig(c.family(), c.vocabSize(), c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.hiddenDim(),
                c.maxSeqLen(), c.normEps(), c.ropeTheta(), c.tiedEmbeddings(), c.qkvBias(), c.variant(), d);
    }

    @Test
    void gpt2BlockCountsNineHiddenTwoMlpAndStats() {
        ModelConfig tiny = ModelPresets.get("tiny-gpt2"); // d=16, hidden 32, 2 heads
        assertThat(Activations.blockPerToken(tiny)).isEqualTo(9 * 16 + 2 * 32 + 2 + 4);
        // dropout keeps each adapted module's dropped input and a byte mask
        LoraConfig drop = new LoraConfig(4, 8, 0.1, List.of("q", "c_fc"));
        assertThat(Activations.loraPerToken(tiny, drop)).isEqualTo(4 + 16 + 4 + 16);
        assertThat(Activations.loraMaskBytesPerToken(tiny, drop)).isEqualTo(32);
    }

    @Test
    void serverSegmentHoldsTheRestTheHeadAndTheLogits() {
        MemoryBreakdown s = mm.serverSegment(2);
        // layers 2, 3, 4, final norm, and the tied embedding as the LM head
        assertThat(s.frozenWeights()).isEqualTo((3 * LAYER + 64 + 512 * 64) * 4);
        assertThat(s.loraParams()).isEqualTo(3 * 1792 * 4);
        long tokens = 32;
        // blocks, then final-norm input + stat, head input, log-probabilities (V)
        assertThat(s.activations()).isEqualTo(3 * tokens * 1162 * 4 + tokens * (2 * 64 + 1 + 512) * 4);
        // incoming activation, outgoing gradient, labels, logits and their gradient
        assertThat(s.buffers()).isEqualTo(2 * tokens * 64 * 4 + tokens * 8 + 2 * tokens * 512 * 4);
        // device and server parts of one split together hold the whole model's frozen weights plus one more tied
        // embedding (both ends need it), and exactly the whole model's adapters
        assertThat(mm.device(2).frozenWeights() + s.frozenWeights())
                .isEqualTo(mm.frozenBytes(LayerRange.all(5)) + 512 * 64 * 4);
        assertThat(mm.device(2).loraParams() + s.loraParams()).isEqualTo(mm.fullModel().loraParams());
    }

    @Test
    void deviceMemoryGrowsWithTheCut() {
        for (int c = 0; c < STORIES.nLayers(); c++) {
            assertThat(mm.device(c + 1).total()).isGreaterThan(mm.device(c).total());
            assertThat(mm.serverSegment(c + 1).total()).isLessThan(mm.serverSegment(c).total());
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> mm.device(6)).hasMessage("cut must be in [0, 5], got 6");
        assertThatThrownBy(() -> MemoryModel.of(STORIES, QV8, 0, 16)).hasMessage("batch must be >= 1, got 0");
        assertThatThrownBy(() -> new MemoryModel(STORIES, QV8, 1, 1, 3, 4, true)).hasMessageContaining("weightBytes");
        assertThatThrownBy(() -> new MemoryBreakdown(0, 0, 0, 0, -1, 0)).hasMessageContaining("activations");
    }

    @Test
    void breakdownMapUsesSnakeCaseKeys() {
        assertThat(new MemoryBreakdown(1, 2, 3, 4, 5, 6).toMap()).containsExactly(
                Map.entry("frozen_weights", 1L), Map.entry("lora_params", 2L), Map.entry("lora_grads", 3L),
                Map.entry("optimizer_state", 4L), Map.entry("activations", 5L), Map.entry("buffers", 6L),
                Map.entry("total", 21L));
    }
}
