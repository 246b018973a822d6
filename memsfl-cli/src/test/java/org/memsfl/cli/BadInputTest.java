package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.memsfl.engine.DType;
import org.memsfl.engine.SafetensorsSource;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.HfModelWriter;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;

/**
 * Every kind of bad input gets one line on stderr naming the problem, exit code 2, no stack trace, and leaves no
 * partial output behind.
 */
class BadInputTest {

    @TempDir
    Path dir;

    private void assertBadInput(Cli.Result r, String mustMention) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        String err = r.err().strip();
        assertThat(err.lines().count()).as(err).isEqualTo(1);
        assertThat(err).contains(mustMention).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void missingFile() {
        assertBadInput(Cli.run("info", "--model", dir.resolve("nope.bin").toString()), "nope.bin");
    }

    @Test
    void truncatedCheckpoint() throws Exception {
        byte[] all = Files.readAllBytes(Assets.stories260K());
        Path bin = dir.resolve("half.bin");
        Files.write(bin, java.util.Arrays.copyOf(all, all.length / 2));
        Files.copy(Assets.tok512(), dir.resolve("tok512.bin"));
        assertBadInput(Cli.run("info", "--model", bin.toString()), "truncated");
    }

    @Test
    void wrongHeader() throws Exception {
        Path bin = dir.resolve("zeros.bin");
        Files.write(bin, new byte[28]);
        assertBadInput(Cli.run("info", "--model", bin.toString()), "zeros.bin");
    }

    @Test
    void configShapesDisagreeWithWeights() throws Exception {
        Path model = tinyHf("shapes");
        String cfg = Files.readString(model.resolve("config.json")).replace("\"intermediate_size\" : 24", "\"intermediate_size\" : 32")
                .replace("\"intermediate_size\": 24", "\"intermediate_size\": 32");
        assertThat(cfg).contains("32");
        Files.writeString(model.resolve("config.json"), cfg);
        assertBadInput(Cli.run("info", "--model", model.toString()), "shape");
    }

    @Test
    void unknownArchitecture() throws Exception {
        Path model = tinyHf("bert");
        String cfg = Files.readString(model.resolve("config.json")).replaceAll("\"model_type\"\\s*:\\s*\"[a-z0-9]+\"",
                "\"model_type\": \"bert\"");
        Files.writeString(model.resolve("config.json"), cfg);
        assertBadInput(Cli.run("info", "--model", model.toString()), "bert");
    }

    /** A transformers-5 config whose RoPE block holds a key memsfl does not implement: exit 2 naming key and value. */
    @Test
    void unimplementedRopeKeyIsRefused() throws Exception {
        Path model = tinyHf("rope");
        String cfg = Files.readString(model.resolve("config.json")).replaceAll("\"rope_theta\"\\s*:\\s*[0-9.eE+]+\\s*,?",
                "");
        cfg = cfg.replaceFirst("\\{", "{\"rope_parameters\": {\"rope_type\": \"dynamic\", \"factor\": 2.0, "
                + "\"rope_theta\": 10000.0}, ");
        Files.writeString(model.resolve("config.json"), cfg);
        assertBadInput(Cli.run("info", "--model", model.toString()), "rope_parameters.rope_type = \"dynamic\"");
    }

    @Test
    void nanWeights() throws Exception {
        Path model = tinyHf("nan");
        Map<String, Tensor> w;
        try (SafetensorsSource s = SafetensorsSource.open(model.resolve("model.safetensors"))) {
            w = new java.util.TreeMap<>(s.loadAll());
        }
        w.get("model.layers.1.mlp.up_proj.weight").view(-1).get(3).fill_(new org.bytedeco.pytorch.Scalar(Double.NaN));
        SafetensorsWriter.write(model.resolve("model.safetensors"), w, Map.of("format", "pt"));
        assertBadInput(Cli.run("info", "--model", model.toString()), "NaN");
    }

    @Test
    void unknownDatasetFieldWritesNothing() throws Exception {
        Path data = dir.resolve("bad.jsonl");
        Files.writeString(data, "{\"question\": \"a\", \"answer\": \"b\"}\n");
        Path out = dir.resolve("run");
        assertBadInput(Cli.run("finetune", "--data", data.toString(), "--steps", "1", "--out", out.toString()), "prompt");
        assertThat(out).doesNotExist();
    }

    @Test
    void unknownDatasetName() {
        assertBadInput(Cli.run("eval", "--data", "imagenet"), "imagenet");
    }

    @Test
    void usageErrorsAreExitTwo() {
        Cli.Result r = Cli.run("generate", "--max-tokens", "many");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("many");
    }

    /**
     * Out-of-range benchmark options are bad input (exit 2, one line naming the option), refused before any child JVM
     * starts or any result is written; each case was an "internal error" (exit 1) or a child's stack trace before.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "bench step --model random:gpt2 --batch-size 0 | --batch-size",
        "bench step --model random:gpt2 --reps -1 | --reps",
        "bench step --model random:gpt2 --omp-threads 0 | --omp-threads",
        "bench step --model random:gpt2 --seq-len 5000 | --seq-len",
        "bench step --model random:gpt2 --layers 99 | --layers",
        "bench step --model random:gpt2 --dtype fp64 | --dtype: unknown value 'fp64'",
        "bench device-memory --model random:gpt2 --cut 2 --batch-size 0 | --batch-size",
        "bench device-memory --model random:gpt2 --cut 2 --steps 0 | --steps",
        "bench server-memory --model gpt2-medium --variants foo | --variants",
        "bench server-memory --model gpt2-medium --rounds 0 | --rounds",
        "finetune --model stories260K --steps 1 --dtype fp64 | --dtype: unknown value 'fp64'",
        "simulate --rounds 1 --dtype fp64 | --dtype: unknown value 'fp64'"})
    void badBenchAndDtypeOptionsAreBadInput(String args, String mustMention) {
        Path out = dir.resolve("bench.json");
        java.util.List<String> argv = new java.util.ArrayList<>(java.util.List.of(args.strip().split(" +")));
        argv.addAll(java.util.List.of("--out", out.toString()));
        assertBadInput(Cli.run(argv.toArray(String[]::new)), mustMention);
        assertThat(out).doesNotExist();
    }

    private Path tinyHf(String name) {
        Path model = dir.resolve(name);
        try (DecoderModel m = RandomInit.create(ModelPresets.get("tiny-llama"), LayerRange.all(3), DType.F32, 1)) {
            HfModelWriter.save(m, model, DType.F32);
        }
        return model;
    }
}
