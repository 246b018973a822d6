package org.memsfl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatcherTest {

    private static TokenizedExample ex(int first, int len) {
        int[] in = new int[len];
        int[] tg = new int[len];
        for (int i = 0; i < len; i++) {
            in[i] = first + i;
            tg[i] = i == 0 ? Tokenization.IGNORE : first + i + 1;
        }
        return new TokenizedExample(in, tg, "");
    }

    @Test
    void rightPadsWithZeroAndIgnoredTargets() {
        Batch b = Batcher.collate(List.of(ex(10, 3), ex(20, 5)), 64);
        assertThat(b.batchSize()).isEqualTo(2);
        assertThat(b.seqLen()).isEqualTo(5);
        assertThat(b.lengths()).containsExactly(3, 5);
        assertThat(b.inputIds()).containsExactly(10, 11, 12, 0, 0, 20, 21, 22, 23, 24);
        assertThat(b.targets()).containsExactly(-100, 12, 13, -100, -100, -100, 22, 23, 24, 25);
        assertThat(b.numTargets()).isEqualTo(6);
    }

    @Test
    void seqLenIsCappedAndLongRowsAreCut() {
        Batch b = Batcher.collate(List.of(ex(10, 3), ex(20, 9)), 4);
        assertThat(b.seqLen()).isEqualTo(4);
        assertThat(b.lengths()).containsExactly(3, 4);
        assertThat(b.inputIds()).containsExactly(10, 11, 12, 0, 20, 21, 22, 23);
    }

    @Test
    void sequentialKeepsOrderAndAShortLastBatch() {
        List<TokenizedExample> all = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            all.add(ex(100 * i, 1 + i));
        }
        List<Batch> batches = Batcher.sequential(all, 3, 100);
        assertThat(batches).extracting(Batch::batchSize).containsExactly(3, 3, 1);
        assertThat(batches).extracting(Batch::seqLen).containsExactly(3, 6, 7);
        assertThat(batches.get(1).inputIds()[0]).isEqualTo(300);
    }

    @Test
    void samplerIsReproducibleAndCoversEachEpoch() {
        List<TokenizedExample> all = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            all.add(ex(1000 * (i + 1), 2));
        }
        BatchSampler a = new BatchSampler(all, 4, 8, 7);
        BatchSampler b = new BatchSampler(all, 4, 8, 7);
        BatchSampler c = new BatchSampler(all, 4, 8, 8);
        Map<Long, Integer> seen = new HashMap<>();
        boolean differs = false;
        for (int step = 0; step < 3; step++) {
            Batch x = a.next();
            Batch y = b.next();
            assertThat(x.inputIds()).containsExactly(y.inputIds());
            differs |= !java.util.Arrays.equals(x.inputIds(), c.next().inputIds());
            for (int row = 0; row < 4; row++) {
                seen.merge(x.inputIds()[row * x.seqLen()], 1, Integer::sum);
            }
        }
        assertThat(differs).isTrue();
        assertThat(seen).hasSize(12).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
        assertThat(a.epoch()).isZero();
        a.next();
        assertThat(a.epoch()).isEqualTo(1);
    }

    @Test
    void batchRecordValidates() {
        assertThatThrownBy(() -> new Batch(new long[6], new long[6], new int[] {3, 0}, 2, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("each length must be in [1, 3], got 0");
        assertThatThrownBy(() -> new Batch(new long[5], new long[6], new int[] {3, 3}, 2, 3))
                .hasMessage("inputIds and targets must have batchSize * seqLen = 6 entries, got 5 and 6");
    }
}
