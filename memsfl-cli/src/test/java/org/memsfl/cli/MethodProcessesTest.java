package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.settings.RunSettings;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;

/**
 * compare runs each method in a JVM of its own (issue 12: in one JVM a method's wall time depended on the methods
 * before it) and writes the same files with the same numbers as {@code --in-process}: every loss, byte count, memory
 * figure, generated answer and score is compared exactly (bit for bit as JSON doubles); only the measured wall times
 * and the warm-up's seconds differ. No timing is asserted.
 */
class MethodProcessesTest {

    private static final String[] RUN = {"--model", "stories260K", "--data", "dolly", "--rounds", "2", "--local-steps",
            "1", "--batch-size", "2", "--seq-len", "32", "--eval-examples", "4", "--methods", "memsfl,sfl-v1",
            "--generate", "--gen-examples", "1", "--max-new-tokens", "4"};

    @Test
    void methodsInTheirOwnProcessesGiveTheInProcessNumbers(@TempDir Path dir) throws Exception {
        Path own = dir.resolve("own");
        Path in = dir.resolve("in");
        Cli.Result a = Cli.run(args(own));
        assertThat(a.exitCode()).as(a.err()).isZero();
        List<String> inArgs = new ArrayList<>(List.of(args(in)));
        inArgs.add("--in-process");
        Cli.Result b = Cli.run(inArgs.toArray(String[]::new));
        assertThat(b.exitCode()).as(b.err()).isZero();

        // each method ran in a process of its own and left its files in its own directory
        assertThat(a.err()).contains("method 1 of 2, memsfl, in a JVM of its own")
                .contains("method 2 of 2, sfl-v1, in a JVM of its own").contains("warm-up: one sfl-v1 round");
        assertThat(b.err()).doesNotContain("JVM of its own");
        for (String m : List.of("memsfl", "sfl-v1")) {
            assertThat(own.resolve("methods").resolve(m).resolve("method-result.json")).isRegularFile();
        }

        assertThat(withoutWallTimes(jsonLines(own.resolve("metrics.jsonl"))))
                .isEqualTo(withoutWallTimes(jsonLines(in.resolve("metrics.jsonl"))));
        JsonNode sa = Json.MAPPER.readTree(own.resolve("summary.json").toFile());
        JsonNode sb = Json.MAPPER.readTree(in.resolve("summary.json").toFile());
        assertThat(sa.get("warm_up_s").asDouble()).isPositive();
        assertThat(withoutWallTimes(sa)).isEqualTo(withoutWallTimes(sb));
        assertThat(sa.get("methods").get("sfl-v1").get("task")).isNotNull();
        for (String f : List.of("predictions.jsonl", "metrics.json", "scale.json")) {
            assertThat(Files.readString(own.resolve(f))).as(f).isEqualTo(Files.readString(in.resolve(f)));
        }
        assertThat(own.resolve("report.html")).isRegularFile();
    }

    /** Every setting reaches the method's process unchanged, none at its default here. */
    @Test
    void theChildsInputCarriesEverySetting(@TempDir Path dir) {
        RunSettings s = RunSettings.builder().model("random:gpt2").planShape("random:gpt2-medium").data("e2e")
                .partition("dirichlet:0.3").fleet("mixed-20").rounds(3).localSteps(2).scheduler("schrage")
                .aggregation("fedtrimmedavg:0.2").batchSize(3).seqLen(17)
                .lora(new org.memsfl.lora.LoraConfig(4, 8.5, 0.1, List.of("v", "q"))).lr(1.0 / 3).warmup(1)
                .maxGradNorm(0.7).evalExamples(5).safetyMargin(0.15).wire(org.memsfl.split.WireFormat.INT8)
                .seed(-42).serverRecompute(false).dtype(org.memsfl.engine.DType.BF16).template("plain")
                .deviceWeights(org.memsfl.quant.WeightStorage.NF4).build();
        org.memsfl.train.TaskEvalPlan plan = new org.memsfl.train.TaskEvalPlan(
                new org.memsfl.train.TaskEvaluator.Settings(7, 2, 0.5, 9), 3, 2);
        MethodProcesses.Input input = new MethodProcesses.Input(s, plan, "splitlora");
        Path f = dir.resolve("input.json");
        org.memsfl.util.AtomicFiles.writeString(f, org.memsfl.sim.experiment.MethodRun.json(input));
        assertThat(org.memsfl.sim.experiment.MethodRun.parse(f, MethodProcesses.Input.class)).isEqualTo(input);
        assertThat(s.toMap()).isNotEqualTo(RunSettings.builder().build().toMap());
    }

    /** A method's process that meets bad input ends the run with exit 2 and the child's message, said once. */
    @Test
    void badInputInAMethodsProcessIsTheParentsBadInput(@TempDir Path dir) throws Exception {
        RunSettings s = RunSettings.builder().model(dir.resolve("no-such-model").toString()).rounds(1).build();
        Path methodDir = Files.createDirectories(dir.resolve("methods").resolve("memsfl"));
        MethodProcesses processes = new MethodProcesses(s, null, 1, false);
        assertThatThrownBy(() -> processes.launch(1, "memsfl", methodDir))
                .isInstanceOf(BadInputException.class).hasMessageContaining("no-such-model");
        JsonNode failure = Json.MAPPER.readTree(methodDir.resolve(MethodProcesses.FAILURE_FILE).toFile());
        assertThat(failure.get("exit_code").asInt()).isEqualTo(Main.EXIT_BAD_INPUT);
    }

    /** The child's side of an internal failure: recorded for the parent, exit 1, nothing printed twice. */
    @Test
    void aMethodProcessThatFailsRecordsItsExitCode(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run(MethodProcessCommand.NAME, "--input", dir.resolve("missing.json").toString(), "--out",
                dir.toString());
        assertThat(r.exitCode()).isEqualTo(Main.EXIT_INTERNAL);
        JsonNode failure = Json.MAPPER.readTree(dir.resolve(MethodProcesses.FAILURE_FILE).toFile());
        assertThat(failure.get("exit_code").asInt()).isEqualTo(Main.EXIT_INTERNAL);
        assertThat(failure.get("message").asText()).contains("missing.json");
        assertThat(r.err()).isEmpty();
    }

    private static String[] args(Path out) {
        List<String> a = new ArrayList<>(List.of("compare"));
        a.addAll(List.of(RUN));
        a.addAll(List.of("--out", out.toString()));
        return a.toArray(String[]::new);
    }

    private static List<JsonNode> jsonLines(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(Json.MAPPER.readTree(line));
        }
        assertThat(out).isNotEmpty();
        return out;
    }

    private static List<JsonNode> withoutWallTimes(List<JsonNode> lines) {
        lines.forEach(MethodProcessesTest::withoutWallTimes);
        return lines;
    }

    /** The node less every {@code wall_s} and {@code warm_up_s} field, at any depth (checked present first). */
    private static JsonNode withoutWallTimes(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove(List.of("wall_s", "warm_up_s"));
            o.elements().forEachRemaining(MethodProcessesTest::withoutWallTimes);
        } else if (n.isArray()) {
            n.elements().forEachRemaining(MethodProcessesTest::withoutWallTimes);
        }
        return n;
    }
}
