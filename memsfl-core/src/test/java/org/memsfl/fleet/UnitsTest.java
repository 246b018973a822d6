package org.memsfl.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UnitsTest {

    @Test
    void memoryInBinaryAndDecimalUnits() {
        assertThat(Units.bytes("2GiB")).isEqualTo(2L * 1024 * 1024 * 1024);
        assertThat(Units.bytes("512MiB")).isEqualTo(512L * 1024 * 1024);
        assertThat(Units.bytes("1.5GB")).isEqualTo(1_500_000_000L);
        assertThat(Units.bytes("3 KB")).isEqualTo(3000);
        assertThat(Units.bytes("4096")).isEqualTo(4096);
        // fractions of a byte are dropped: 0.6 * 2^30 = 644245094.4
        assertThat(Units.bytes("0.6GiB")).isEqualTo(644_245_094L);
    }

    @Test
    void computeBandwidthAndLatency() {
        assertThat(Units.flops("1.2TFLOPS")).isEqualTo(1.2e12);
        assertThat(Units.flops("500GFLOPS")).isEqualTo(5e11);
        assertThat(Units.bandwidth("20Mbps")).isEqualTo(2_500_000.0); // 20e6 bits / 8
        assertThat(Units.bandwidth("2.5MB/s")).isEqualTo(2_500_000.0);
        assertThat(Units.bandwidth("1MiB/s")).isEqualTo(1_048_576.0);
        assertThat(Units.seconds("30ms")).isEqualTo(0.03);
        assertThat(Units.seconds("250us")).isEqualTo(0.00025);
        assertThat(Units.seconds("2")).isEqualTo(2.0);
    }

    @Test
    void badUnitsSayWhatWasExpected() {
        assertThatThrownBy(() -> Units.bytes("2 GiBs")).hasMessage(
                "cannot parse '2 GiBs'; expected a number with B, KiB, MiB, GiB, TiB, KB, MB, GB or TB");
        assertThatThrownBy(() -> Units.flops("fast")).hasMessageContaining("cannot parse 'fast'")
                .hasMessageContaining("TFLOPS");
        // bits and bytes differ by case, so a lower-case "mb/s" is refused rather than guessed
        assertThatThrownBy(() -> Units.bandwidth("20mb/s")).hasMessageContaining("cannot parse '20mb/s'");
        assertThatThrownBy(() -> Units.seconds("30 minutes")).hasMessageContaining("expected a number with s, ms or us");
    }

    @Test
    void formattedValuesReadBackExactly() {
        assertThat(Units.formatBytes(2L << 30)).isEqualTo("2GiB");
        assertThat(Units.formatBytes(1_500_000_000L)).isEqualTo("1.5GB");
        assertThat(Units.formatBytes(644_245_094L)).isEqualTo("644245094B");
        assertThat(Units.formatRate(625_000.0, Units.BANDWIDTH)).isEqualTo("5Mbps");
        assertThat(Units.formatRate(1.2e12, Units.COMPUTE)).isEqualTo("1.2TFLOPS");
        assertThat(Units.formatRate(0.03, Units.TIME)).isEqualTo("30ms");
        for (double v : new double[] {1.2345678e12, 3.3e11, 0.0}) {
            assertThat(Units.flops(Units.formatRate(v, Units.COMPUTE))).isEqualTo(v);
        }
        for (double v : new double[] {1537500.0, 123456.789, 1.0}) {
            assertThat(Units.bandwidth(Units.formatRate(v, Units.BANDWIDTH))).isEqualTo(v);
        }
    }

    @Test
    void humanSizes() {
        assertThat(Units.human(1.5 * (1L << 30))).isEqualTo("1.50 GiB");
        assertThat(Units.human(600L << 20)).isEqualTo("600.00 MiB");
        assertThat(Units.human(2048)).isEqualTo("2.00 KiB");
        assertThat(Units.human(17)).isEqualTo("17 B");
    }
}
