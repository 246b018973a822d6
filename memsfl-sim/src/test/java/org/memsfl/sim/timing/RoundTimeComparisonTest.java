package org.memsfl.sim.timing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The console line says "longer" when memsfl's round is longer, never "-0.2% shorter". */
class RoundTimeComparisonTest {

    @Test
    void aNegativeGainReadsAsLonger() {
        assertThat(RoundTimeComparison.relative(0.138)).isEqualTo("13.8% shorter");
        assertThat(RoundTimeComparison.relative(-0.002)).isEqualTo("0.2% longer");
        assertThat(RoundTimeComparison.relative(0.0)).isEqualTo("0.0% shorter");
    }
}
