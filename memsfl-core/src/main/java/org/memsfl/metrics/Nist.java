package org.memsfl.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Corpus NIST-5 (Doddington, "Automatic Evaluation of Machine Translation Quality Using N-gram Co-Occurrence
 * Statistics", HLT 2002) as NIST mteval-v13a computes it for the E2E NLG Challenge:
 * <ul>
 *   <li>tokens from {@link MtevalTokenizer} (case folded);</li>
 *   <li>information weight of an n-gram from all reference segments of the corpus:
 *       info(w1..wn) = log2(count(w1..wn-1) / count(w1..wn)), with the total reference word count in place of
 *       count(w1..w0) for unigrams;</li>
 *   <li>per order n = 1..5, the summed information of the clipped matches (clipped by the largest count in any one
 *       reference of the segment) divided by the hypothesis n-gram count (at least 1), summed over orders;</li>
 *   <li>length penalty exp(-beta ln^2(min(1, c / r))) with beta = ln 2 / ln^2 1.5, so it is 0.5 at c/r = 2/3; c is
 *       the hypothesis tokens and r the average reference length summed over segments. mteval divides the summed
 *       reference length by the number of reference sets, which is the same when every segment has equally many
 *       references; the E2E test set has a varying number, so the mean per segment is used.</li>
 * </ul>
 * Not bounded above (the E2E baseline scores 8.61).
 */
public final class Nist {

    public static final int MAX_ORDER = 5;

    private Nist() {
    }

    public static double corpus(List<Prediction> predictions) {
        List<List<String>> hyps = predictions.stream().map(p -> MtevalTokenizer.tokenize(p.prediction())).toList();
        List<List<List<String>>> refs = predictions.stream()
                .map(p -> p.references().stream().map(MtevalTokenizer::tokenize).toList()).toList();
        Map<String, Double> info = information(refs);
        double[] matchedInfo = new double[MAX_ORDER + 1];
        long[] hypNgrams = new long[MAX_ORDER + 1];
        long hypLen = 0;
        double refLen = 0;
        for (int s = 0; s < hyps.size(); s++) {
            List<String> hyp = hyps.get(s);
            hypLen += hyp.size();
            refLen += refs.get(s).stream().mapToInt(List::size).average().orElseThrow();
            for (int n = 1; n <= MAX_ORDER; n++) {
                Map<String, Integer> maxRef = Bleu.maxReferenceCounts(refs.get(s), n);
                for (Map.Entry<String, Integer> e : NGrams.count(hyp, n).entrySet()) {
                    int clipped = Math.min(e.getValue(), maxRef.getOrDefault(e.getKey(), 0));
                    if (clipped > 0) {
                        matchedInfo[n] += clipped * info.get(e.getKey());
                    }
                }
                hypNgrams[n] += NGrams.total(hyp.size(), n);
            }
        }
        double score = 0;
        for (int n = 1; n <= MAX_ORDER; n++) {
            score += matchedInfo[n] / Math.max(hypNgrams[n], 1);
        }
        return score * lengthPenalty(refLen == 0 ? 0 : hypLen / refLen);
    }

    /** Information weight of every reference n-gram (orders 1..5), from counts over all references. */
    static Map<String, Double> information(List<List<List<String>>> refs) {
        Map<String, Integer> counts = new HashMap<>();
        long words = 0;
        for (List<List<String>> segment : refs) {
            for (List<String> ref : segment) {
                words += ref.size();
                for (int n = 1; n <= MAX_ORDER; n++) {
                    NGrams.count(ref, n).forEach((g, c) -> counts.merge(g, c, Integer::sum));
                }
            }
        }
        Map<String, Double> info = new HashMap<>();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            String gram = e.getKey();
            int cut = gram.lastIndexOf(' ');
            double context = cut < 0 ? words : counts.get(gram.substring(0, cut));
            info.put(gram, Math.log(context / e.getValue()) / Math.log(2));
        }
        return info;
    }

    /** exp(-beta ln^2 ratio) for ratio below 1, with beta set so that ratio 2/3 gives 0.5; 1 from ratio 1 up. */
    static double lengthPenalty(double ratio) {
        if (ratio >= 1) {
            return 1;
        }
        if (ratio <= 0) {
            return 0;
        }
        double beta = Math.log(2) / (Math.log(1.5) * Math.log(1.5));
        return Math.exp(-beta * Math.log(ratio) * Math.log(ratio));
    }
}
