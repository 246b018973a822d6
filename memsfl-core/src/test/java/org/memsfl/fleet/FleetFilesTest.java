package org.memsfl.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

class FleetFilesTest {

    private static final String GOOD = """
            name: two
            server: {compute: 20TFLOPS, memory: 24GiB}
            devices:
              - {id: phone-a, memory: 2GiB, compute: 1.2TFLOPS, uplink: 20Mbps, downlink: 2.5MB/s, latency: 30ms}
              - {id: phone-b, memory: 536870912, compute: 5e11, uplink: 125000, downlink: 1Mbps, latency: 0}
            """;

    @Test
    void readsHumanUnitsAndBareNumbers() {
        Fleet f = FleetFiles.parse(GOOD, "two.yaml", "x", false);
        assertThat(f.name()).isEqualTo("two");
        assertThat(f.server()).isEqualTo(new ServerProfile(20e12, 24L << 30));
        assertThat(f.devices()).containsExactly(
                new DeviceProfile("phone-a", 2L << 30, 1.2e12, 2.5e6, 2.5e6, 0.03),
                new DeviceProfile("phone-b", 512L << 20, 5e11, 125000, 125000, 0));
    }

    @Test
    void paper5RoundTripsThroughYaml() {
        Fleet paper = Fleets.preset("paper-5");
        String yaml = FleetFiles.toYaml(paper);
        assertThat(FleetFiles.parse(yaml, "written", "other", false)).isEqualTo(paper);
        assertThat(yaml).contains("memory: 600MiB").contains("uplink: 5Mbps").contains("latency: 50ms");
    }

    @Test
    void randomFleetsRoundTripToo() {
        Fleet r = Fleets.random(12, 7);
        assertThat(FleetFiles.parse(FleetFiles.toYaml(r), "written", "other", false)).isEqualTo(r);
    }

    @Test
    void readsJsonFilesAndNamesFleetAfterTheFile(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("lab.json");
        Files.writeString(p, """
                {"server": {"compute": "30TFLOPS", "memory": "24GiB"},
                 "devices": [{"id": "a", "memory": "1GiB", "compute": "1TFLOPS", "uplink": "10Mbps",
                              "downlink": "50Mbps", "latency": "20ms"}]}
                """);
        Fleet f = Fleets.resolve(p.toString());
        assertThat(f.name()).isEqualTo("lab");
        assertThat(f.devices().get(0)).isEqualTo(new DeviceProfile("a", 1L << 30, 1e12, 1.25e6, 6.25e6, 0.02));
    }

    @Test
    void negativeBandwidthNamesDeviceAndField() {
        assertThatThrownBy(() -> parse(GOOD.replace("uplink: 20Mbps", "uplink: -20Mbps")))
                .isInstanceOf(BadInputException.class)
                .hasMessage("bad.yaml: device phone-a field uplink: must be > 0, got '-20Mbps'");
    }

    @Test
    void missingMemoryNamesDeviceAndField() {
        assertThatThrownBy(() -> parse(GOOD.replace("memory: 536870912, ", "")))
                .isInstanceOf(BadInputException.class)
                .hasMessage("bad.yaml: device phone-b field memory: missing; expected e.g. memory: 2GiB");
    }

    @Test
    void unparseableUnitNamesDeviceAndField() {
        assertThatThrownBy(() -> parse(GOOD.replace("memory: 2GiB", "memory: 2 GiBs")))
                .isInstanceOf(BadInputException.class)
                .hasMessage("bad.yaml: device phone-a field memory: cannot parse '2 GiBs'; expected a number with B, KiB,"
                        + " MiB, GiB, TiB, KB, MB, GB or TB");
    }

    @Test
    void duplicateIdNamesBothPositions() {
        assertThatThrownBy(() -> parse(GOOD.replace("id: phone-b", "id: phone-a")))
                .isInstanceOf(BadInputException.class)
                .hasMessage("bad.yaml: device phone-a field id: duplicate id (devices 1 and 2); expected unique ids");
    }

    @Test
    void otherMistakesAreNamedToo() {
        assertThatThrownBy(() -> parse(GOOD.replace("latency: 30ms", "latncy: 30ms")))
                .hasMessageStartingWith("bad.yaml: device phone-a field latncy: unknown device field; expected one of");
        assertThatThrownBy(() -> parse(GOOD.replace("id: phone-b, ", "")))
                .hasMessage("bad.yaml: device #2 field id: missing; expected a unique name such as phone-a");
        assertThatThrownBy(() -> parse(GOOD.replace("latency: 0}", "latency: -1ms}")))
                .hasMessage("bad.yaml: device phone-b field latency: must be >= 0, got '-1ms'");
        assertThatThrownBy(() -> parse(GOOD.replace("compute: 20TFLOPS, ", "")))
                .hasMessageStartingWith("bad.yaml: server field compute: missing");
        assertThatThrownBy(() -> parse(GOOD.replace("compute: 1.2TFLOPS", "compute: [1]")))
                .hasMessage("bad.yaml: device phone-a field compute: expected a quantity such as 1.2TFLOPS, got array");
        assertThatThrownBy(() -> parse("devices: [a")).hasMessageStartingWith("bad.yaml: not valid YAML");
    }

    @Test
    void unknownSpecIsNeitherPresetNorFile() {
        assertThatThrownBy(() -> Fleets.resolve("no-such-fleet.yaml"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("fleet 'no-such-fleet.yaml' is neither a preset [paper-5, mixed-20, paper-5-busy-server] nor an existing file");
    }

    private static Fleet parse(String text) {
        return FleetFiles.parse(text, "bad.yaml", "bad", false);
    }
}
