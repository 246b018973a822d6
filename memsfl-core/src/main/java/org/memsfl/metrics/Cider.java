package org.memsfl.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CIDEr-D (Vedantam, Zitnick and Parikh, "CIDEr: Consensus-based Image Description Evaluation", CVPR 2015, section
 * 5.2) with the conventions of the MS-COCO caption code's {@code CiderScorer}, which e2e-metrics reports as "CIDEr":
 * <ul>
 *   <li>tokens from {@link CocoTokenizer}; n-grams of orders 1..4;</li>
 *   <li>TF-IDF weights g = tf * (ln(number of segments) - ln(max(1, df))), where df counts the segments whose
 *       references contain the n-gram (document frequency from the references of the scored corpus itself);</li>
 *   <li>per order, the clipped similarity sum_g min(g_hyp, g_ref) g_ref / (|g_hyp| |g_ref|) (0 when a norm is 0),
 *       times the Gaussian length penalty exp(-(l_hyp - l_ref)^2 / (2 sigma^2)), sigma = 6; as in the reference
 *       code, the "length" is the sentence's bigram count;</li>
 *   <li>segment score: the mean over orders, averaged over the segment's references, times 10; the corpus score is
 *       the mean over segments.</li>
 * </ul>
 * Not bounded above in general (the E2E baseline scores 2.25). With a single segment every IDF is 0 and so is CIDEr,
 * as in the reference code.
 */
public final class Cider {

    public static final int MAX_ORDER = 4;
    public static final double SIGMA = 6.0;

    private Cider() {
    }

    /** One sentence as TF-IDF vectors per order (index 0..3), their norms and its length. */
    private record Vector(List<Map<String, Double>> weights, double[] norms, int length) {
    }

    public static double corpus(List<Prediction> predictions) {
        return segments(predictions).stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    /** CIDEr-D of each prediction within this corpus (document frequencies come from all its references). */
    public static List<Double> segments(List<Prediction> predictions) {
        List<List<String>> hyps = predictions.stream().map(p -> CocoTokenizer.tokenize(p.prediction())).toList();
        List<List<List<String>>> refs = predictions.stream()
                .map(p -> p.references().stream().map(CocoTokenizer::tokenize).toList()).toList();
        Map<String, Integer> df = new HashMap<>();
        for (List<List<String>> segment : refs) {
            Set<String> seen = new HashSet<>();
            for (List<String> ref : segment) {
                for (int n = 1; n <= MAX_ORDER; n++) {
                    seen.addAll(NGrams.count(ref, n).keySet());
                }
            }
            seen.forEach(g -> df.merge(g, 1, Integer::sum));
        }
        double logSegments = Math.log(predictions.size());
        List<Double> out = new ArrayList<>();
        for (int s = 0; s < hyps.size(); s++) {
            Vector hyp = vector(hyps.get(s), df, logSegments);
            double[] sum = new double[MAX_ORDER];
            for (List<String> refTokens : refs.get(s)) {
                Vector ref = vector(refTokens, df, logSegments);
                double[] sim = similarity(hyp, ref);
                for (int n = 0; n < MAX_ORDER; n++) {
                    sum[n] += sim[n];
                }
            }
            double mean = 0;
            for (double v : sum) {
                mean += v;
            }
            mean /= MAX_ORDER;
            out.add(mean / refs.get(s).size() * 10.0);
        }
        return out;
    }

    private static Vector vector(List<String> tokens, Map<String, Integer> df, double logSegments) {
        List<Map<String, Double>> weights = new ArrayList<>();
        double[] norms = new double[MAX_ORDER];
        for (int n = 1; n <= MAX_ORDER; n++) {
            Map<String, Double> w = new HashMap<>();
            for (Map.Entry<String, Integer> e : NGrams.count(tokens, n).entrySet()) {
                double idf = logSegments - Math.log(Math.max(1.0, df.getOrDefault(e.getKey(), 0)));
                double g = e.getValue() * idf;
                w.put(e.getKey(), g);
                norms[n - 1] += g * g;
            }
            norms[n - 1] = Math.sqrt(norms[n - 1]);
            weights.add(w);
        }
        return new Vector(weights, norms, NGrams.total(tokens.size(), 2));
    }

    private static double[] similarity(Vector hyp, Vector ref) {
        double delta = hyp.length() - ref.length();
        double penalty = Math.exp(-(delta * delta) / (2 * SIGMA * SIGMA));
        double[] val = new double[MAX_ORDER];
        for (int n = 0; n < MAX_ORDER; n++) {
            Map<String, Double> r = ref.weights().get(n);
            for (Map.Entry<String, Double> e : hyp.weights().get(n).entrySet()) {
                Double g = r.get(e.getKey());
                if (g != null) {
                    val[n] += Math.min(e.getValue(), g) * g;
                }
            }
            if (hyp.norms()[n] != 0 && ref.norms()[n] != 0) {
                val[n] /= hyp.norms()[n] * ref.norms()[n];
            }
            val[n] *= penalty;
        }
        return val;
    }
}
