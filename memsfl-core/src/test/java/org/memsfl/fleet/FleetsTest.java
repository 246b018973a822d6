package org.memsfl.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FleetsTest {

    @Test
    void paper5SpansPhoneToTablet() {
        Fleet f = Fleets.resolve("paper-5");
        assertThat(f.size()).isEqualTo(5);
        List<Long> memory = f.devices().stream().map(DeviceProfile::memoryBudgetBytes).toList();
        assertThat(memory).containsExactly(600L << 20, 1L << 30, 3L << 29, 5L << 29, 4L << 30);
        assertThat(f.devices().get(0).flopsPerSecond()).isEqualTo(0.3e12);
        assertThat(f.devices().get(4).flopsPerSecond()).isEqualTo(2e12);
        assertThat(f.server()).isEqualTo(new ServerProfile(30e12, 24L << 30));
    }

    @Test
    void mixed20HasTwentyDevicesFromFiveClasses() {
        Fleet f = Fleets.resolve("mixed-20");
        assertThat(f.size()).isEqualTo(20);
        Set<Long> classes = f.devices().stream().map(DeviceProfile::memoryBudgetBytes).collect(Collectors.toSet());
        assertThat(classes).containsExactlyInAnyOrder(512L << 20, 1L << 30, 2L << 30, 3L << 30, 6L << 30);
        assertThat(Fleets.presetText("mixed-20")).contains("NOT MEASUREMENTS");
    }

    @Test
    void randomFleetsAreSeededAndHeterogeneous() {
        Fleet a = Fleets.random(30, 42);
        assertThat(Fleets.random(30, 42)).isEqualTo(a);
        assertThat(Fleets.random(30, 43)).isNotEqualTo(a);
        assertThat(a.devices().get(0).id()).isEqualTo("dev-00");
        double minFlops = a.devices().stream().mapToDouble(DeviceProfile::flopsPerSecond).min().orElseThrow();
        double maxFlops = a.devices().stream().mapToDouble(DeviceProfile::flopsPerSecond).max().orElseThrow();
        assertThat(maxFlops / minFlops).isGreaterThan(5);
        for (DeviceProfile d : a.devices()) {
            assertThat(d.memoryBudgetBytes()).isBetween(256L << 20, 8L << 30);
            assertThat(d.flopsPerSecond()).isBetween(0.1e12, 4e12);
            assertThat(d.uplinkBytesPerSecond() * 8).isBetween(1e6, 100e6);
            assertThat(d.downlinkBytesPerSecond()).isGreaterThanOrEqualTo(d.uplinkBytesPerSecond() * 1.9);
            assertThat(d.latencySeconds()).isBetween(0.005, 0.1);
        }
    }

    @Test
    void recordsRejectOutOfRangeValues() {
        assertThatThrownBy(() -> new DeviceProfile("a", 0, 1, 1, 1, 0)).hasMessageContaining("memoryBudgetBytes must be > 0");
        assertThatThrownBy(() -> new DeviceProfile("a", 1, Double.NaN, 1, 1, 0)).hasMessageContaining("flopsPerSecond");
        assertThatThrownBy(() -> new DeviceProfile("a", 1, 1, 1, 1, -1)).hasMessageContaining("latencySeconds must be");
        DeviceProfile d = new DeviceProfile("a", 1, 1, 1, 1, 0);
        assertThatThrownBy(() -> new Fleet("f", List.of(d, d), new ServerProfile(1, 1)))
                .hasMessageContaining("'a' is used by devices 1 and 2");
    }
}
