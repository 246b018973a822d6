package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.Setting;

/**
 * Core's bad-input messages name settings, not flags ({@link Setting}); the CLI shows them under the flags a user
 * types ({@link FlagNames}), as it does the deployment library's.
 */
class CoreMessagesNameFlagsTest {

    @Test
    void everyCoreSettingHasItsOwnFlag() {
        assertThat(Arrays.stream(Setting.values()).map(FlagNames::flag))
                .allSatisfy(f -> assertThat(f).startsWith("--")).doesNotHaveDuplicates();
    }

    @Test
    void theUserReadsTheFlags(@TempDir Path tmp) throws Exception {
        Cli.Result wire = Cli.run("simulate", "--wire-dtype", "int4", "--out", tmp.resolve("a").toString());
        RoughEdgesTest.oneLineBadInput(wire, "--wire-dtype: unknown value 'int4'; expected fp32, fp16, bf16 or int8");
        Cli.Result weights = Cli.run("simulate", "--device-weights", "int4", "--out", tmp.resolve("b").toString());
        RoughEdgesTest.oneLineBadInput(weights, "--device-weights: unknown value 'int4'");
        Path file = Files.writeString(tmp.resolve("f"), "x");
        Cli.Result out = Cli.run("simulate", "--out", file.toString());
        RoughEdgesTest.oneLineBadInput(out, "--out " + file + " is a file; expected a directory");
        Cli.Result template = Cli.run("simulate", "--template", " ", "--out", tmp.resolve("c").toString());
        RoughEdgesTest.oneLineBadInput(template, "--template is empty");
    }
}
