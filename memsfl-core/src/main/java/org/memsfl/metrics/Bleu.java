package org.memsfl.metrics;

import java.util.List;
import java.util.Map;

/**
 * Corpus BLEU-4 (Papineni et al., "BLEU: a Method for Automatic Evaluation of Machine Translation", ACL 2002) with
 * the conventions of NIST mteval-v13a, the script behind the E2E NLG Challenge's official BLEU:
 * <ul>
 *   <li>tokens from {@link MtevalTokenizer} (case folded);</li>
 *   <li>each segment's n-gram counts (n = 1..4) are clipped by the largest count of that n-gram in any one of the
 *       segment's references, all references of a meaning representation together;</li>
 *   <li>matches, hypothesis n-grams and the effective reference length are summed over the corpus before the
 *       geometric mean; the effective reference length of a segment is its SHORTEST reference (mteval's
 *       {@code shortest_ref_length}; sacreBLEU and multi-bleu use the closest one instead);</li>
 *   <li>brevity penalty exp(min(0, 1 - r / c)) with r the summed reference length and c the hypothesis tokens;</li>
 *   <li>no smoothing: if any order has zero matches in the whole corpus, BLEU-4 is 0, as mteval reports it.</li>
 * </ul>
 * Scores are in [0, 1] (the E2E baseline scores 0.6593 on its test set).
 */
public final class Bleu {

    public static final int MAX_ORDER = 4;

    private Bleu() {
    }

    /** Corpus statistics: per order (index 1..4) clipped matches and hypothesis n-grams, and the two lengths. */
    public record Stats(long[] matches, long[] hypothesisNgrams, long hypothesisLength, long referenceLength) {

        /** BLEU-4 of these statistics; 0 when the hypotheses are empty or an order has no match. */
        public double score() {
            if (hypothesisLength == 0) {
                return 0;
            }
            double logSum = 0;
            for (int n = 1; n <= MAX_ORDER; n++) {
                if (matches[n] == 0) {
                    return 0;
                }
                logSum += Math.log((double) matches[n] / hypothesisNgrams[n]);
            }
            return Math.exp(logSum / MAX_ORDER + brevityLog());
        }

        /** log of the brevity penalty, min(0, 1 - r / c). */
        public double brevityLog() {
            return hypothesisLength == 0 ? 0 : Math.min(0, 1 - (double) referenceLength / hypothesisLength);
        }

        /** Clipped precision of order n in [0, 1] (0 when there are no n-grams of that order). */
        public double precision(int n) {
            return hypothesisNgrams[n] == 0 ? 0 : (double) matches[n] / hypothesisNgrams[n];
        }
    }

    /** Corpus BLEU-4 of the predictions against their references. */
    public static double corpus(List<Prediction> predictions) {
        return stats(predictions).score();
    }

    public static Stats stats(List<Prediction> predictions) {
        long[] matches = new long[MAX_ORDER + 1];
        long[] total = new long[MAX_ORDER + 1];
        long hypLen = 0;
        long refLen = 0;
        for (Prediction p : predictions) {
            List<String> hyp = MtevalTokenizer.tokenize(p.prediction());
            List<List<String>> refs = p.references().stream().map(MtevalTokenizer::tokenize).toList();
            hypLen += hyp.size();
            refLen += refs.stream().mapToInt(List::size).min().orElseThrow();
            for (int n = 1; n <= MAX_ORDER; n++) {
                Map<String, Integer> maxRef = maxReferenceCounts(refs, n);
                for (Map.Entry<String, Integer> e : NGrams.count(hyp, n).entrySet()) {
                    matches[n] += Math.min(e.getValue(), maxRef.getOrDefault(e.getKey(), 0));
                }
                total[n] += NGrams.total(hyp.size(), n);
            }
        }
        return new Stats(matches, total, hypLen, refLen);
    }

    /** For each n-gram of order n, its largest count in any single reference. */
    static Map<String, Integer> maxReferenceCounts(List<List<String>> refs, int n) {
        Map<String, Integer> max = new java.util.HashMap<>();
        for (List<String> ref : refs) {
            NGrams.count(ref, n).forEach((g, c) -> max.merge(g, c, Math::max));
        }
        return max;
    }
}
