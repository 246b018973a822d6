package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.metrics.Bleu;
import org.memsfl.metrics.Prediction;
import org.memsfl.metrics.PredictionsFile;

/** `score` reads any predictions file; `eval --generate` writes one that `score` reproduces. */
class ScoreCommandTest {

    @Test
    void scoresAPredictionsFileAsJson(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.jsonl");
        Files.writeString(file, "{\"prediction\": \"the cat sat on a mat\", \"references\": [\"the cat sat on the mat\"]}\n"
                + "{\"prediction\": \"so the answer is 1,250\", \"references\": \"#### 1250\"}\n");
        Cli.Result r = Cli.run("score", "--predictions", file.toString(), "--metrics", "bleu,exact_match", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("count").asInt()).isEqualTo(2);
        assertThat(j.get("metrics").get("exact_match").asDouble()).isEqualTo(0.5);
        assertThat(j.get("metrics").get("bleu").asDouble()).isEqualTo(Bleu.corpus(PredictionsFile.read(file)));
    }

    @Test
    void badMetricAndMissingFileExitTwoWithOneLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.jsonl");
        PredictionsFile.write(file, List.of(Prediction.of("a", "b")));
        Cli.Result bad = Cli.run("score", "--predictions", file.toString(), "--metrics", "bleu,blue");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown metric 'blue'").doesNotContain("Exception");
        Cli.Result missing = Cli.run("score", "--predictions", dir.resolve("none.jsonl").toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("does not exist");
    }

    @Test
    void evalGenerateWritesPredictionsThatScoreReproduces(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("gen");
        Cli.Result r = Cli.run("eval", "--model", "stories260K", "--data", "e2e", "--eval-examples", "8",
                "--generate", "--gen-examples", "6", "--max-new-tokens", "12", "--out", out.toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<Prediction> written = PredictionsFile.read(out.resolve("predictions.jsonl"));
        assertThat(written).hasSize(6);
        assertThat(written.get(0).references()).hasSizeGreaterThan(1); // E2E references of one MR together
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).get("metrics");
        Cli.Result scored = Cli.run("score", "--predictions", out.resolve("predictions.jsonl").toString(), "--metrics",
                "bleu,nist,meteor,rouge_l,cider", "--json");
        JsonNode again = new ObjectMapper().readTree(scored.out()).get("metrics");
        for (String m : List.of("bleu", "nist", "meteor", "rouge_l", "cider")) {
            assertThat(again.get(m).asDouble()).as(m).isEqualTo(metrics.get(m).asDouble());
        }
        Cli.Result twice = Cli.run("eval", "--model", "stories260K", "--data", "e2e", "--eval-examples", "8",
                "--generate", "--gen-examples", "6", "--out", out.toString());
        assertThat(twice.exitCode()).isEqualTo(2);
        assertThat(twice.err()).contains("holds an earlier run").contains("--overwrite");
    }
}
