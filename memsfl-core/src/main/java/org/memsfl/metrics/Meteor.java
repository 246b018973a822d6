package org.memsfl.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * METEOR with exact matching (Banerjee and Lavie, "METEOR: An Automatic Metric for MT Evaluation with Improved
 * Correlation with Human Judgments", ACL workshop 2005): unigram precision P and recall R of an alignment,
 * Fmean = 10 P R / (R + 9 P), fragmentation penalty 0.5 (chunks / matches)^3, score Fmean (1 - penalty). A chunk is a
 * run of aligned hypothesis words that are adjacent and in the same order in the reference.
 *
 * <p>Alignment as the 2005 paper defines it: the most matches, and among those the fewest crossing links. Tokens come
 * from {@link CocoTokenizer} (lower-cased, punctuation dropped). With several references the best segment score
 * counts; the corpus score is the mean over segments, as NLTK's {@code meteor_score} averages.
 *
 * <p>Departure, stated plainly: the E2E challenge ran METEOR 1.5 (Denkowski and Lavie 2014) through pycocoevalcap,
 * which also matches stems, WordNet synonyms and paraphrases, weights function words and uses tuned parameters
 * (alpha 0.85, beta 0.2, gamma 0.6). That jar and its tables are not on Maven Central; exact matching alone gives
 * lower scores than METEOR 1.5 on paraphrased outputs, so compare these values with each other, not with published
 * METEOR 1.5 figures.
 */
public final class Meteor {

    /** Above this many candidate alignments, the crossing-minimal choice is approximated greedily. */
    static final int SEARCH_LIMIT = 4096;

    private Meteor() {
    }

    public static double corpus(List<Prediction> predictions) {
        return predictions.stream().mapToDouble(Meteor::segment).average().orElse(0);
    }

    public static double segment(Prediction p) {
        List<String> hyp = CocoTokenizer.tokenize(p.prediction());
        double best = 0;
        for (String reference : p.references()) {
            best = Math.max(best, score(hyp, CocoTokenizer.tokenize(reference)));
        }
        return best;
    }

    static double score(List<String> hyp, List<String> ref) {
        int[] align = align(hyp, ref);
        int matches = 0;
        int chunks = 0;
        int prevRef = -2;
        boolean prevAligned = false;
        for (int h = 0; h < hyp.size(); h++) {
            if (align[h] < 0) {
                prevAligned = false;
                continue;
            }
            matches++;
            if (!prevAligned || align[h] != prevRef + 1) {
                chunks++;
            }
            prevRef = align[h];
            prevAligned = true;
        }
        if (matches == 0) {
            return 0;
        }
        double precision = (double) matches / hyp.size();
        double recall = (double) matches / ref.size();
        double fmean = 10 * precision * recall / (recall + 9 * precision);
        double penalty = 0.5 * Math.pow((double) chunks / matches, 3);
        return fmean * (1 - penalty);
    }

    /**
     * For each hypothesis position, the reference position it is linked to, or -1. Every word type links
     * min(count in hypothesis, count in reference) times (the most matches); within a type, links keep order, which
     * never adds crossings. Which occurrences of a type link, when the counts differ, is searched exhaustively for
     * the fewest crossings up to {@link #SEARCH_LIMIT} combinations, else the earliest occurrences are taken.
     */
    static int[] align(List<String> hyp, List<String> ref) {
        Map<String, List<Integer>> hypPos = positions(hyp);
        Map<String, List<Integer>> refPos = positions(ref);
        List<List<int[][]>> options = new ArrayList<>(); // per word type: candidate (hyp subset, ref subset) pairs
        long combos = 1;
        for (Map.Entry<String, List<Integer>> e : hypPos.entrySet()) {
            List<Integer> r = refPos.get(e.getKey());
            if (r == null) {
                continue;
            }
            List<Integer> h = e.getValue();
            int k = Math.min(h.size(), r.size());
            List<int[][]> typeOptions = new ArrayList<>();
            for (int[] hs : subsets(h, k)) {
                for (int[] rs : subsets(r, k)) {
                    typeOptions.add(new int[][] {hs, rs});
                }
            }
            options.add(typeOptions);
            combos = Math.min(Long.MAX_VALUE / 4096, combos * typeOptions.size());
        }
        int[] best = new int[hyp.size()];
        java.util.Arrays.fill(best, -1);
        if (combos > SEARCH_LIMIT) {
            for (List<int[][]> typeOptions : options) {
                apply(best, typeOptions.get(0), true);
            }
            return best;
        }
        int[] current = best.clone();
        long[] bestCrossings = {Long.MAX_VALUE};
        search(options, 0, current, best, bestCrossings);
        return best;
    }

    /** Depth-first over word types: try each option of this type, recurse, undo. */
    private static void search(List<List<int[][]>> options, int type, int[] current, int[] best, long[] bestCross) {
        if (type == options.size()) {
            long c = crossings(current);
            if (c < bestCross[0]) {
                bestCross[0] = c;
                System.arraycopy(current, 0, best, 0, current.length);
            }
            return;
        }
        for (int[][] option : options.get(type)) {
            apply(current, option, true);
            search(options, type + 1, current, best, bestCross);
            apply(current, option, false);
        }
    }

    private static void apply(int[] align, int[][] option, boolean link) {
        for (int i = 0; i < option[0].length; i++) {
            align[option[0][i]] = link ? option[1][i] : -1;
        }
    }

    private static long crossings(int[] align) {
        long c = 0;
        for (int i = 0; i < align.length; i++) {
            for (int j = i + 1; j < align.length; j++) {
                if (align[i] >= 0 && align[j] >= 0 && align[j] < align[i]) {
                    c++;
                }
            }
        }
        return c;
    }

    private static Map<String, List<Integer>> positions(List<String> tokens) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            out.computeIfAbsent(tokens.get(i), t -> new ArrayList<>()).add(i);
        }
        return out;
    }

    /** All increasing k-element subsets of {@code items}, earliest first; capped to keep the search bounded. */
    private static List<int[]> subsets(List<Integer> items, int k) {
        List<int[]> out = new ArrayList<>();
        collect(items, k, 0, new int[k], 0, out);
        return out;
    }

    private static void collect(List<Integer> items, int k, int from, int[] acc, int depth, List<int[]> out) {
        if (out.size() > SEARCH_LIMIT) {
            return;
        }
        if (depth == k) {
            out.add(acc.clone());
            return;
        }
        for (int i = from; i <= items.size() - (k - depth); i++) {
            acc[depth] = items.get(i);
            collect(items, k, i + 1, acc, depth + 1, out);
        }
    }
}
