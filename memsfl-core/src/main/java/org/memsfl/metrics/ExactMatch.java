package org.memsfl.metrics;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GSM8K exact match (Cobbe et al., "Training Verifiers to Solve Math Word Problems", 2021): a prediction is right when
 * its final number equals the reference's. The reference's number is what follows {@code ####} (the dataset's
 * answer line). The prediction's is what follows its own {@code ####} when it writes one, else its LAST number, like
 * lm-evaluation-harness's "flexible-extract" filter. Numbers may carry a sign, thousands commas ("1,000"), a decimal
 * part and a leading {@code $}; commas are removed and the values compared as decimals, so "5", "5.0" and "5.00" are
 * equal. With several references, any match counts. The score is the fraction of predictions that match, in [0, 1].
 */
public final class ExactMatch {

    private static final Pattern NUMBER = Pattern.compile("-?\\$?\\d[\\d,]*(?:\\.\\d+)?|-?\\$?\\.\\d+");
    private static final String ANSWER_MARK = "####";

    private ExactMatch() {
    }

    public static double corpus(List<Prediction> predictions) {
        return predictions.stream().mapToDouble(p -> segment(p) ? 1 : 0).average().orElse(0);
    }

    public static boolean segment(Prediction p) {
        Optional<BigDecimal> predicted = predictedAnswer(p.prediction());
        if (predicted.isEmpty()) {
            return false;
        }
        for (String reference : p.references()) {
            Optional<BigDecimal> expected = referenceAnswer(reference);
            if (expected.isPresent() && expected.get().compareTo(predicted.get()) == 0) {
                return true;
            }
        }
        return false;
    }

    /** The number after the last {@code ####} of a reference, or its last number when it has no mark. */
    public static Optional<BigDecimal> referenceAnswer(String reference) {
        return predictedAnswer(reference);
    }

    /** The number after {@code ####} when present, else the last number in the text; empty when there is none. */
    public static Optional<BigDecimal> predictedAnswer(String text) {
        int mark = text.lastIndexOf(ANSWER_MARK);
        if (mark >= 0) {
            Optional<BigDecimal> first = firstNumber(text.substring(mark + ANSWER_MARK.length()));
            if (first.isPresent()) {
                return first;
            }
        }
        return lastNumber(text);
    }

    static Optional<BigDecimal> firstNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        return m.find() ? Optional.of(parse(m.group())) : Optional.empty();
    }

    static Optional<BigDecimal> lastNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        return last == null ? Optional.empty() : Optional.of(parse(last));
    }

    private static BigDecimal parse(String raw) {
        String s = raw.replace(",", "").replace("$", "");
        return new BigDecimal(s);
    }
}
