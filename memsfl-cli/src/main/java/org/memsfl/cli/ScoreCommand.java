package org.memsfl.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.memsfl.metrics.Metric;
import org.memsfl.metrics.Prediction;
import org.memsfl.metrics.PredictionsFile;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Scores any predictions file with the same metric code the runs use, so other systems compare like with like. A
 * file with a {@code method} field on its lines (a comparison's predictions.jsonl) is scored per method.
 */
@Command(name = "score", description = "Score a predictions.jsonl (fields 'prediction', 'references') with task metrics.")
public final class ScoreCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--predictions", required = true, paramLabel = "P.jsonl",
            description = "JSON lines with 'prediction' (string) and 'references' (string or array of strings).")
    Path predictions;

    @Option(names = "--metrics", defaultValue = "bleu,nist,meteor,rouge_l,cider,exact_match",
            description = "Comma-separated: bleu, nist, meteor, rouge_l, cider, exact_match (default: ${DEFAULT-VALUE}).")
    String metrics;

    @Override
    public Integer call() {
        List<Metric> chosen;
        try {
            chosen = Metric.parseList(metrics);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--metrics: " + e.getMessage(), e);
        }
        Map<String, List<Prediction>> byMethod = PredictionsFile.readByMethod(predictions);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("predictions", predictions.toString());
        if (byMethod.size() == 1) {
            List<Prediction> read = byMethod.values().iterator().next();
            Map<String, Double> scores = Metric.scoreAll(chosen, read);
            j.put("count", read.size());
            j.put("metrics", scores);
            if (!common.json) {
                System.out.printf("%d predictions from %s%n", read.size(), predictions);
                scores.forEach((k, v) -> System.out.printf("%-12s %.4f%n", k, v));
            }
        } else {
            // a comparison's file: every method scored on its own answers, never mixed
            Map<String, Object> methods = new LinkedHashMap<>();
            byMethod.forEach((method, read) -> {
                Map<String, Double> scores = Metric.scoreAll(chosen, read);
                methods.put(method, Map.of("count", read.size(), "metrics", scores));
                if (!common.json) {
                    StringBuilder line = new StringBuilder(String.format("%-12s %3d", method, read.size()));
                    scores.forEach((k, v) -> line.append(String.format("  %s %.4f", k, v)));
                    System.out.println(line);
                }
            });
            j.put("methods", methods);
        }
        if (common.json) {
            System.out.println(Json.pretty(j));
        }
        return Main.EXIT_OK;
    }
}
