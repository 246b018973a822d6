package org.memsfl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SplitsTest {

    private static final List<Example> DATA = IntStream.range(0, 1000)
            .mapToObj(i -> new Example("p" + i, "r" + i, "k" + (i % 7))).toList();

    @Test
    void sameSeedSameSplitAndNothingLostOrShared() {
        Dataset a = Splits.holdOut("x", DATA, 0.1, 1000, 42);
        Dataset b = Splits.holdOut("x", DATA, 0.1, 1000, 42);
        assertThat(a).isEqualTo(b);
        assertThat(a.eval()).hasSize(100);
        assertThat(a.train()).hasSize(900);
        Set<Example> union = new HashSet<>(a.train());
        union.addAll(a.eval());
        assertThat(union).hasSize(1000);
        // both parts keep the input order
        assertThat(a.train()).isSortedAccordingTo((x, y) -> Integer.compare(DATA.indexOf(x), DATA.indexOf(y)));
    }

    @Test
    void otherSeedOtherEvalAndTheCapApplies() {
        assertThat(Splits.holdOut("x", DATA, 0.1, 1000, 1).eval())
                .isNotEqualTo(Splits.holdOut("x", DATA, 0.1, 1000, 2).eval());
        assertThat(Splits.holdOut("x", DATA, 0.5, 30, 1).eval()).hasSize(30);
        assertThat(Splits.holdOut("x", DATA).eval()).hasSize(50);
    }

    @Test
    void tinyInputsStillTrain() {
        List<Example> one = new ArrayList<>(DATA.subList(0, 1));
        Dataset d = Splits.holdOut("x", one);
        assertThat(d.train()).hasSize(1);
        assertThat(d.eval()).isEmpty();
        assertThatThrownBy(() -> Splits.holdOut("x", DATA, 1.0, 10, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fraction must be in [0, 1), got 1.0");
    }
}
