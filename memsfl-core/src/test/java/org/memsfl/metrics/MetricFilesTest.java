package org.memsfl.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

/** predictions.jsonl round trip, bad lines named by file and line, metric names, per-device summaries. */
class MetricFilesTest {

    @TempDir
    Path dir;

    @Test
    void predictionsRoundTrip() {
        List<Prediction> in = List.of(new Prediction("MR: a", List.of("ref one", "ref two"), "out \"q\"", "Aromi"),
                Prediction.of("x", "y"));
        Path file = dir.resolve("predictions.jsonl");
        PredictionsFile.write(file, in);
        assertThat(PredictionsFile.read(file)).isEqualTo(in);
    }

    @Test
    void badLinesNameFileLineAndField() throws Exception {
        Path file = dir.resolve("p.jsonl");
        Files.writeString(file, "{\"prediction\": \"a\", \"references\": [\"b\"]}\n{\"prediction\": \"a\"}\n");
        assertThatThrownBy(() -> PredictionsFile.read(file)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("line 2").hasMessageContaining("'references'");
        Files.writeString(file, "{\"references\": \"b\", \"prediction\": 3}\n");
        assertThatThrownBy(() -> PredictionsFile.read(file)).hasMessageContaining("'prediction'");
        assertThatThrownBy(() -> PredictionsFile.read(dir.resolve("none.jsonl"))).hasMessageContaining("does not exist");
    }

    @Test
    void metricNamesParseAndUnknownOnesAreListed() {
        assertThat(Metric.parseList("bleu, NIST,rouge_l,bleu")).containsExactly(Metric.BLEU, Metric.NIST,
                Metric.ROUGE_L);
        assertThatThrownBy(() -> Metric.parseList("bleu,blue")).hasMessageContaining("'blue'")
                .hasMessageContaining("exact_match");
        assertThat(TaskMetrics.headline("gsm8k")).isEqualTo(Metric.EXACT_MATCH);
        assertThat(TaskMetrics.forDataset("e2e")).hasSize(5);
    }

    @Test
    void deviceQualityGivesMeanWorstAndSpread() {
        DeviceQuality q = DeviceQuality.of("rouge_l", Map.of("phone", 0.2, "tablet", 0.5));
        assertThat(q.mean()).isEqualTo(0.35);
        assertThat(q.worst()).isEqualTo(0.2);
        assertThat(q.worstDevice()).isEqualTo("phone");
        assertThat(q.spread()).isEqualTo(0.3);
    }
}
