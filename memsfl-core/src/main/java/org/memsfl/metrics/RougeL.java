package org.memsfl.metrics;

import java.util.List;

/**
 * ROUGE-L (Lin, "ROUGE: A Package for Automatic Evaluation of Summaries", ACL workshop 2004, section 3.1): an
 * F-measure of the longest common subsequence (LCS) of hypothesis and reference tokens. Conventions of the MS-COCO
 * caption code (pycocoevalcap {@code Rouge}), which e2e-metrics uses: tokens from {@link CocoTokenizer}; with several
 * references, precision = max over references of LCS / |hypothesis| and recall = max of LCS / |reference|, taken
 * separately; F = (1 + beta^2) P R / (R + beta^2 P) with beta = 1.2; 0 when either is 0; the corpus score is the mean
 * over segments. In [0, 1].
 */
public final class RougeL {

    public static final double BETA = 1.2;

    private RougeL() {
    }

    public static double corpus(List<Prediction> predictions) {
        return predictions.stream().mapToDouble(RougeL::segment).average().orElse(0);
    }

    public static double segment(Prediction p) {
        List<String> hyp = CocoTokenizer.tokenize(p.prediction());
        double precision = 0;
        double recall = 0;
        for (String reference : p.references()) {
            List<String> ref = CocoTokenizer.tokenize(reference);
            int lcs = lcs(hyp, ref);
            if (!hyp.isEmpty()) {
                precision = Math.max(precision, (double) lcs / hyp.size());
            }
            if (!ref.isEmpty()) {
                recall = Math.max(recall, (double) lcs / ref.size());
            }
        }
        if (precision == 0 || recall == 0) {
            return 0;
        }
        double b2 = BETA * BETA;
        return (1 + b2) * precision * recall / (recall + b2 * precision);
    }

    /** Length of the longest common subsequence, by the textbook O(|a| |b|) dynamic programme. */
    static int lcs(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = a.get(i - 1).equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }
}
