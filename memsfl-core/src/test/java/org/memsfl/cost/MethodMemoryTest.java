package org.memsfl.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.fleet.ServerProfile;
import org.memsfl.fleet.Units;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.plan.Planner;
import org.memsfl.util.BadInputException;

class MethodMemoryTest {

    private static final ModelConfig STORIES = ModelPresets.get("stories260K");
    private static final LoraConfig QV8 = new LoraConfig(8, 16, 0.0, List.of("q", "v"));
    private static final long LAYER = 64 + 64 * 64 + 2 * 32 * 64 + 64 * 64 + 64 + 3 * 172 * 64;
    private static final long EMB = 512 * 64;
    private static final long LORA_LAYER = 1792;
    private static final long TOKENS = 2 * 16;
    /** Activations of one block for 32 tokens, and of the final norm and head; server-side buffers. */
    private static final long BLOCK_ACT = TOKENS * 1162 * 4;
    private static final long HEAD_ACT = TOKENS * (2 * 64 + 1 + 512) * 4;
    private static final long SERVER_BUF = 2 * TOKENS * 64 * 4 + TOKENS * 8 + 2 * TOKENS * 512 * 4;
    /**
     * memsfl's chunked head at this shape: all 32 tokens fit one chunk; it keeps the norm and head inputs and
     * statistics, and at its backward four chunk x vocab tensors and the (B, T, d) gradient buffer.
     */
    private static final long CHUNKED_HEAD_ACT = TOKENS * (2 * 64 + 1) * 4;
    private static final long CHUNKED_BUF = 3 * TOKENS * 64 * 4 + TOKENS * 8 + 4 * TOKENS * 512 * 4;

    private final MemoryModel mm = MemoryModel.of(STORIES, QV8, 2, 16);
    /** a can hold the whole model, b only 1 MiB (the whole model needs about 2 MiB). */
    private final Fleet two = new Fleet("two", List.of(
            new DeviceProfile("a", 1L << 30, 1e12, 1e6, 1e6, 0),
            new DeviceProfile("b", 1L << 20, 1e12, 1e6, 1e6, 0)), new ServerProfile(1e13, 1L << 34));
    private final Map<String, Integer> cuts = Map.of("a", 3, "b", 1);

    @Test
    void memsflServerHoldsOneModelAllAdaptersAndOneWorkspace() {
        MethodMemory m = MethodMemory.memsfl(mm, two, cuts, 0, false);
        MemoryBreakdown s = m.server();
        assertThat(s.frozenWeights()).isEqualTo((EMB + 5 * LAYER + 64) * 4);
        // server adapters: layers [3, 5) for a and [1, 5) for b
        assertThat(s.loraParams()).isEqualTo((2 + 4) * LORA_LAYER * 4);
        assertThat(s.optimizerState()).isEqualTo(2 * (2 + 4) * LORA_LAYER * 4);
        // b (cut 1) leaves the server four blocks: the larger workspace
        assertThat(s.activations()).isEqualTo(4 * BLOCK_ACT + CHUNKED_HEAD_ACT);
        assertThat(s.buffers()).isEqualTo(CHUNKED_BUF);
        assertThat(m.devices()).containsEntry("a", mm.device(3)).containsEntry("b", mm.device(1));
        assertThat(m.dropped()).isEmpty();
    }

    /**
     * With recomputation the server's workspace for b (cut 1, four server blocks) is one (B, T, d) checkpoint per
     * block, one block's activations and the head's; weights, adapters and buffers are as without it. One-row
     * micro-batches halve every workspace term (B=2).
     */
    @Test
    void memsflRecomputeHoldsACheckpointPerLayerOneLayerAndTheHead() {
        MemoryBreakdown plain = MethodMemory.memsfl(mm, two, cuts, 0, false).server();
        MemoryBreakdown s = MethodMemory.memsfl(mm, two, cuts, 0, true).server();
        long hidden = TOKENS * 64 * 4;
        assertThat(s.activations()).isEqualTo(4 * hidden + BLOCK_ACT + CHUNKED_HEAD_ACT);
        assertThat(s.buffers()).isEqualTo(CHUNKED_BUF);
        assertThat(s.frozenWeights()).isEqualTo(plain.frozenWeights());
        assertThat(s.loraParams()).isEqualTo(plain.loraParams());
        assertThat(s.optimizerState()).isEqualTo(plain.optimizerState());
        assertThat(s.total()).isLessThan(plain.total());
        assertThat(MethodMemory.memsfl(mm, two, cuts, 0, false).server()).isEqualTo(plain);
        MemoryBreakdown mb1 = MethodMemory.memsfl(mm, two, cuts, 1, true).server();
        assertThat(mb1.activations()).isEqualTo((4 * hidden + BLOCK_ACT + CHUNKED_HEAD_ACT) / 2);
        assertThat(mb1.buffers()).isEqualTo(CHUNKED_BUF / 2);
        // no server layers, nothing to recompute: the head's workspace alone
        assertThat(mm.serverSegmentRecomputed(5).activations()).isEqualTo(mm.serverSegment(5).activations());
    }

    /**
     * At GPT-2-medium (vocab 50,257, B=4, T=128, fp32) the chunked head holds 41 target tokens' logits at a time
     * (8 MiB each), two such tensors at its backward (the logits, and the log-probabilities turned into their
     * gradient): about 16 MiB where the unchunked head holds two full (B, T, V) tensors and the log-probabilities
     * (about 294 MiB).
     */
    @Test
    void theChunkedHeadHoldsAFewChunksNotTheWholeLogits() {
        MemoryModel medium = MemoryModel.of(org.memsfl.model.ModelPresets.get("gpt2-medium"), QV8, 4, 128);
        assertThat(medium.headChunkTokens()).isEqualTo(41);
        MemoryBreakdown chunked = medium.serverSegmentChunkedHead(20, true);
        MemoryBreakdown whole = medium.serverSegmentRecomputed(20);
        long logits = 512L * 50257 * 4;
        long chunkLogits = 41L * 50257 * 4;
        assertThat(whole.buffers() - chunked.buffers()).isEqualTo(2 * logits - 2 * chunkLogits - 512L * 1024 * 4);
        assertThat(whole.activations() - chunked.activations()).isEqualTo((512L - 41) * (2 * 1024 + 2) * 4 + logits);
        assertThat(chunked.frozenWeights()).isEqualTo(whole.frozenWeights());
    }

    @Test
    void sflV1ServerHoldsACopyAndAWorkspacePerDevice() {
        MemoryBreakdown s = MethodMemory.sflV1(mm, two, cuts).server();
        assertThat(s.frozenWeights()).isEqualTo((2 * LAYER + 64 + EMB) * 4 + (4 * LAYER + 64 + EMB) * 4);
        assertThat(s.loraParams()).isEqualTo((2 + 4) * LORA_LAYER * 4);
        assertThat(s.activations()).isEqualTo(6 * BLOCK_ACT + 2 * HEAD_ACT);
        assertThat(s.buffers()).isEqualTo(2 * SERVER_BUF);
    }

    @Test
    void splitLoraUsesTheWeakestCutEverywhere() {
        MethodMemory m = MethodMemory.splitLora(mm, two, cuts);
        assertThat(m.devices()).containsEntry("a", mm.device(1)).containsEntry("b", mm.device(1));
        assertThat(m.server().loraParams()).isEqualTo(4 * LORA_LAYER * 4);
        assertThat(m.server().activations()).isEqualTo(4 * BLOCK_ACT + HEAD_ACT);
    }

    @Test
    void fedLoraDropsDevicesThatCannotHoldTheModel() {
        MethodMemory m = MethodMemory.fedLora(mm, two, 0.1);
        assertThat(m.devices()).containsOnlyKeys("a");
        assertThat(m.dropped()).containsExactly("b");
        assertThat(m.devices().get("a").frozenWeights()).isEqualTo((EMB + 5 * LAYER + 64) * 4);
        assertThat(m.server()).isEqualTo(new MemoryBreakdown(0, 5 * LORA_LAYER * 4, 0, 0, 0, 0));
    }

    @Test
    void centralizedPoolsTheBatchOnTheServer() {
        MethodMemory m = MethodMemory.centralized(mm, two);
        assertThat(m.maxDevicePeak()).isZero();
        // two devices of B=2 pooled: 64 tokens through 5 blocks and the head; ids, labels, logits and gradient
        assertThat(m.server().activations()).isEqualTo(2 * (5 * BLOCK_ACT + HEAD_ACT));
        assertThat(m.server().buffers()).isEqualTo(2 * 2 * TOKENS * 8 + 2 * 2 * TOKENS * 512 * 4);
    }

    @Test
    void devicesWithoutACutAreDroppedAndUnknownIdsRefused() {
        MethodMemory m = MethodMemory.memsfl(mm, two, Map.of("a", 3), 0, false);
        assertThat(m.dropped()).containsExactly("b");
        assertThatThrownBy(() -> MethodMemory.memsfl(mm, two, Map.of("zz", 1), 0, false))
                .hasMessageContaining("'zz'");
        assertThatThrownBy(() -> MethodMemory.sflV1(mm, two, Map.of("zz", 1))).hasMessageContaining("'zz'");
        assertThatThrownBy(() -> MethodMemory.splitLora(mm, two, Map.of("zz", 1))).hasMessageContaining("'zz'");
    }

    /** The paper's headline (79% less memory) against the per-device-submodel SFL server, at gpt2-medium shapes. */
    @Test
    void memsflServerPeakIsBelowSflV1ForPaper5AtGpt2Medium() {
        ModelConfig medium = ModelPresets.get("gpt2-medium");
        MemoryModel big = MemoryModel.of(medium, QV8, 4, 128);
        Fleet paper = Fleets.preset("paper-5");
        Map<String, Integer> planned = Planner.plan(big, paper, 0.1).cuts();
        Map<String, Long> peaks = new LinkedHashMap<>();
        Map<String, MethodMemory> byMethod = new LinkedHashMap<>();
        byMethod.put("memsfl", MethodMemory.memsfl(big, paper, planned, 0, false));
        byMethod.put("sfl-v1", MethodMemory.sflV1(big, paper, planned));
        byMethod.put("splitlora", MethodMemory.splitLora(big, paper, planned));
        byMethod.put("fedlora", MethodMemory.fedLora(big, paper, 0.1));
        byMethod.put("centralized", MethodMemory.centralized(big, paper));
        for (Map.Entry<String, MethodMemory> e : byMethod.entrySet()) {
            MethodMemory m = e.getValue();
            peaks.put(e.getKey(), m.serverPeak());
            System.out.printf(Locale.ROOT, "%-12s server %10s  max device %10s  dropped %s%n", e.getKey(),
                    Units.human(m.serverPeak()), Units.human(m.maxDevicePeak()), m.dropped());
        }
        long ours = peaks.get("memsfl");
        long sfl = peaks.get("sfl-v1");
        double reduction = 100.0 * (sfl - ours) / sfl;
        System.out.printf(Locale.ROOT, "gpt2-medium, paper-5, B=4, T=128, r=8 q,v, cuts %s: memsfl server %s vs sfl-v1 %s"
                + " = %.1f%% less (paper claims 79%%)%n", planned, Units.human(ours), Units.human(sfl), reduction);
        assertThat(ours).isLessThan(sfl);
        assertThat(reduction).isGreaterThan(30);
    }
}
