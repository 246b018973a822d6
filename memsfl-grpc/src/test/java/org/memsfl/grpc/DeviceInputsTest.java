package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.lora.LoraConfig;
import org.memsfl.util.BadInputException;
import org.memsfl.settings.RunSettings;

/** A device checks its local inputs before it registers, so that its corrected restart is not locked out. */
class DeviceInputsTest {

    @TempDir
    Path tmp;

    @Test
    void aDeviceWithBadDataNeverRegisters() throws Exception {
        ServerDeployment s = ServerDeployment.builder(RunSettings.builder().model("stories260K")
                .lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).build()).fleetSize(2).out(tmp.resolve("out")).cut(2)
                .build();
        try (InProcessFleet fleet = new InProcessFleet(s, List.of("a", "b"), "inputs")) {
            Path missing = tmp.resolve("no-such-data.jsonl");
            assertThatThrownBy(() -> fleet.device("a", missing.toString(), 0, null).get(2, TimeUnit.MINUTES))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(BadInputException.class)
                    .hasMessageContaining("no-such-data.jsonl");
            assertThat(fleet.log).noneMatch(l -> l.contains("registered a"));
        }
    }
}
