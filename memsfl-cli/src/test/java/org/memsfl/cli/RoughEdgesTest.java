package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user meets on the first day, tried through the CLI: options checked before anything is written, no
 * run overwritten unasked, the same LoRA target names in every command, a device started before its server.
 */
class RoughEdgesTest {

    @TempDir
    Path dir;

    static void oneLineBadInput(Cli.Result r, String mustMention) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertThat(last).contains(mustMention);
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void aWrongLoraTargetLeavesTheEarlierRunUntouched() throws IOException {
        Path out = Files.createDirectories(dir.resolve("run"));
        Files.writeString(out.resolve("manifest.json"), "{\"good\": true}");

        Cli.Result r = Cli.run("finetune", "--model", "stories260K", "--data", "dolly", "--steps", "1",
                "--lora-targets", "q,c_fc", "--out", out.toString(), "--overwrite");

        oneLineBadInput(r, "unknown LoRA target module 'c_fc' for a llama-family model");
        assertThat(Files.readString(out.resolve("manifest.json"))).isEqualTo("{\"good\": true}");
        assertThat(out.resolve("summary.json")).doesNotExist();
    }

    @Test
    void anEarlierRunIsNotOverwrittenWithoutOverwrite() throws IOException {
        Path out = Files.createDirectories(dir.resolve("run"));
        Files.writeString(out.resolve("manifest.json"), "{\"good\": true}");

        oneLineBadInput(Cli.run("finetune", "--model", "stories260K", "--data", "dolly", "--steps", "1",
                "--out", out.toString()), "--overwrite");
        oneLineBadInput(Cli.run("simulate", "--model", "stories260K", "--data", "dolly", "--rounds", "1",
                "--out", out.toString()), "--overwrite");
        oneLineBadInput(Cli.run("compare", "--model", "stories260K", "--data", "dolly", "--rounds", "1",
                "--out", out.toString()), "--overwrite");
        oneLineBadInput(Cli.run("server", "--port", "0", "--fleet-size", "1", "--rounds", "1", "--insecure",
                "--out", out.toString()), "--overwrite");
        oneLineBadInput(Cli.run("export", "--adapter", out.resolve("adapter").toString(), "--out", out.toString()),
                "--overwrite");
        assertThat(Files.readString(out.resolve("manifest.json"))).isEqualTo("{\"good\": true}");
        assertThat(Files.list(out).count()).as("nothing else written").isEqualTo(1);
    }

    @Test
    void simulateRefusesTheSameTargetNamesAsFinetuneInsteadOfRemapping() {
        Path out = dir.resolve("sim");
        Cli.Result sim = Cli.run("simulate", "--model", "stories260K", "--data", "dolly", "--rounds", "1",
                "--lora-targets", "q,c_fc", "--out", out.toString());
        Cli.Result ft = Cli.run("finetune", "--model", "stories260K", "--data", "dolly", "--steps", "1",
                "--lora-targets", "q,c_fc", "--out", dir.resolve("ft").toString());

        oneLineBadInput(sim, "unknown LoRA target module 'c_fc' for a llama-family model");
        oneLineBadInput(ft, "unknown LoRA target module 'c_fc' for a llama-family model");
        assertThat(out).doesNotExist();
    }

    @Test
    void theServerRefusesAWrongTargetBeforeWritingItsFleetToken() {
        Path out = dir.resolve("server");
        Cli.Result r = Cli.run("server", "--port", "0", "--fleet-size", "2", "--rounds", "1", "--insecure",
                "--lora-targets", "c_fc", "--out", out.toString());

        oneLineBadInput(r, "unknown LoRA target module 'c_fc' for a llama-family model");
        assertThat(out).as("no fleet-token, no folder").doesNotExist();
    }

    @Test
    void aDeviceStartedBeforeItsServerSaysItIsWaitingThenGivesUpInOneLine() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        String target = "127.0.0.1:" + port;

        Cli.Result r = Cli.run("device", "--server", target, "--insecure", "--device-id", "d0", "--token", "t",
                "--partition", "0", "--connect-timeout", "10");

        // timings are not asserted (the machine is shared): the first wait is 1 s, then it backs off
        assertThat(r.err()).contains("waiting for " + target + " (attempt 1, next in 1s)");
        oneLineBadInput(r, "no server answered at " + target + " within 10 s");
    }
}
