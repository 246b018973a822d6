package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.settings.RoundSettings;

/**
 * Each rule on the round's settings is written once, in {@link RoundSettings}' constructor (issue 9): simulate and
 * server refuse a bad value with the same one line (after the command's name), exit 2 and nothing written, and that line is the record's own
 * message (which a device also applies to the settings the server sends it).
 */
class OneRuleOneMessageTest {

    /** A bad value, and what the round's record says of it. */
    record Bad(String flag, String value, String message) {
    }

    static final List<Bad> CASES = List.of(
            new Bad("--rounds", "0", "rounds must be > 0, got 0"),
            new Bad("--local-steps", "-1", "local steps must be > 0, got -1"),
            new Bad("--lr", "0", "learning rate must be a finite number > 0, got 0.0"),
            new Bad("--warmup", "-2", "warm-up steps must be >= 0, got -2"),
            new Bad("--max-grad-norm", "-1", "max grad norm must be a finite number >= 0 (0 = no clipping), got -1.0"));

    @Test
    void simulateAndServerRefuseABadRoundValueWithTheRecordsOneLine(@TempDir Path tmp) {
        for (Bad b : CASES) {
            Path simOut = tmp.resolve("sim" + b.flag());
            Path serverOut = tmp.resolve("server" + b.flag());
            Cli.Result sim = Cli.run("simulate", b.flag(), b.value(), "--out", simOut.toString());
            Cli.Result server = Cli.run("server", "--fleet-size", "1", "--insecure", b.flag(), b.value(), "--out",
                    serverOut.toString());
            assertThat(sim.exitCode()).as(sim.err()).isEqualTo(Main.EXIT_BAD_INPUT);
            assertThat(server.exitCode()).as(server.err()).isEqualTo(Main.EXIT_BAD_INPUT);
            // each command names itself first, then the same line
            assertThat(sim.err().strip()).as(b.flag()).isEqualTo("memsfl simulate: " + b.message());
            assertThat(server.err().strip()).as(b.flag()).isEqualTo("memsfl server: " + b.message());
            assertThat(simOut.resolve("manifest.json")).as("nothing written").doesNotExist();
            assertThat(Files.exists(serverOut.resolve("fleet-token"))).as("no token written").isFalse();
        }
        // the record's own message, the one a device refuses a server's settings with
        assertThatThrownBy(() -> new RoundSettings(1, 1, 0, 0, 1, 7)).hasMessage(CASES.get(2).message());
        assertThatThrownBy(() -> new RoundSettings(1, 1, 1e-3, 0, -1, 7)).hasMessage(CASES.get(4).message());
    }
}
