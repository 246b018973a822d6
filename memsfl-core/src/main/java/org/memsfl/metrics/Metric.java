package org.memsfl.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/** The task metrics by their command-line names; each is computed over a whole list of predictions (a corpus). */
public enum Metric {
    BLEU("bleu", Bleu::corpus),
    NIST("nist", Nist::corpus),
    METEOR("meteor", Meteor::corpus),
    ROUGE_L("rouge_l", RougeL::corpus),
    CIDER("cider", Cider::corpus),
    EXACT_MATCH("exact_match", ExactMatch::corpus);

    private final String id;
    private final ToDoubleFunction<List<Prediction>> corpus;

    Metric(String id, ToDoubleFunction<List<Prediction>> corpus) {
        this.id = id;
        this.corpus = corpus;
    }

    /** The name used on the command line and in JSON ({@code bleu}, {@code rouge_l}, ...). */
    public String id() {
        return id;
    }

    /** The corpus score of {@code predictions}; 0 for an empty list. */
    public double score(List<Prediction> predictions) {
        return predictions.isEmpty() ? 0 : corpus.applyAsDouble(predictions);
    }

    /** The metric named {@code id}; the error lists the known names. */
    public static Metric parse(String id) {
        String key = id.strip().toLowerCase(Locale.ROOT);
        for (Metric m : values()) {
            if (m.id.equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown metric '" + id + "', expected one of " + names());
    }

    /** A comma-separated list such as {@code bleu,nist,rouge_l}, in the given order, without repeats. */
    public static List<Metric> parseList(String csv) {
        List<Metric> out = new ArrayList<>();
        for (String part : csv.split(",")) {
            if (part.isBlank()) {
                throw new IllegalArgumentException("metric list '" + csv + "' has an empty entry, expected names from "
                        + names());
            }
            Metric m = parse(part);
            if (!out.contains(m)) {
                out.add(m);
            }
        }
        return out;
    }

    /** Every metric's score, in the order given, keyed by {@link #id()}. */
    public static Map<String, Double> scoreAll(List<Metric> metrics, List<Prediction> predictions) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Metric m : metrics) {
            out.put(m.id, m.score(predictions));
        }
        return out;
    }

    public static String names() {
        return Arrays.stream(values()).map(Metric::id).collect(Collectors.joining(", "));
    }
}
