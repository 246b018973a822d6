package org.memsfl.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** ROUGE-L, METEOR and CIDEr-D on worked examples computed by hand; tolerance 1e-9 (double rounding only). */
class OverlapMetricsTest {

    private static final double EPS = 1e-9;

    @Test
    void cocoTokenizationLowersAndDropsPunctuation() {
        assertThat(CocoTokenizer.tokenize("The Eagle isn't cheap, it's near Burger King (riverside)."))
                .containsExactly("the", "eagle", "is", "n't", "cheap", "it", "'s", "near", "burger", "king",
                        "riverside");
        assertThat(CocoTokenizer.tokenize("costs 3.50 - well-known")).containsExactly("costs", "3.50", "well-known");
    }

    @Test
    void rougeLFromTheLongestCommonSubsequence() {
        // Lin 2004, section 3.1: LCS('police killed the gunman', 'police kill the gunman') = 3, P = R = 3/4
        assertThat(RougeL.lcs(List.of("police", "killed", "the", "gunman"), List.of("police", "kill", "the", "gunman")))
                .isEqualTo(3);
        assertThat(RougeL.segment(Prediction.of("police killed the gunman", "police kill the gunman")))
                .isCloseTo(0.75, within(EPS));
        // 'the gunman kill police': LCS 2 ('the gunman'), F = 1/2
        assertThat(RougeL.segment(Prediction.of("police killed the gunman", "the gunman kill police")))
                .isCloseTo(0.5, within(EPS));
    }

    @Test
    void rougeLTakesBestPrecisionAndBestRecallSeparatelyWithBeta12() {
        // refs: 'a b' (LCS 2: P 2/4, R 1) and 'a b c x x x x x' (LCS 3: P 3/4, R 3/8) -> P 3/4, R 1
        double p = 0.75;
        double r = 1.0;
        double b2 = 1.2 * 1.2;
        double expected = (1 + b2) * p * r / (r + b2 * p);
        assertThat(RougeL.segment(Prediction.of("a b c d", "a b", "a b c x x x x x"))).isCloseTo(expected, within(EPS));
        assertThat(RougeL.segment(Prediction.of("", "a b"))).isZero();
    }

    @Test
    void meteorWorkedExamplesOfBanerjeeAndLavie() {
        // identical: P = R = 1, one chunk of 6: 1 - 0.5 (1/6)^3
        assertThat(Meteor.segment(Prediction.of("the cat sat on the mat", "the cat sat on the mat")))
                .isCloseTo(1 - 0.5 * Math.pow(1.0 / 6, 3), within(EPS));
        // one extra word: P = 6/7, R = 1, Fmean = 10PR/(R+9P) = 60/61, two chunks ('the cat', 'sat on the mat')
        double fmean = 10 * (6.0 / 7) / (1 + 9 * (6.0 / 7));
        assertThat(fmean).isCloseTo(60.0 / 61, within(EPS));
        assertThat(Meteor.segment(Prediction.of("the cat was sat on the mat", "the cat sat on the mat")))
                .isCloseTo(fmean * (1 - 0.5 * Math.pow(2.0 / 6, 3)), within(EPS));
        // reordered: the alignment with the fewest crossings links each 'the' in order, leaving six one-word chunks,
        // so the penalty is 0.5 (6/6)^3 and the score 0.5
        assertThat(Meteor.segment(Prediction.of("on the mat sat the cat", "the cat sat on the mat")))
                .isCloseTo(0.5, within(EPS));
        assertThat(Meteor.segment(Prediction.of("dog", "the cat"))).isZero();
    }

    @Test
    void meteorTakesTheBestReference() {
        double best = Meteor.segment(Prediction.of("a b c", "a b c"));
        assertThat(Meteor.segment(Prediction.of("a b c", "x y", "a b c"))).isCloseTo(best, within(EPS));
    }

    @Test
    void ciderDOnATwoSegmentCorpusByHand() {
        // 2 segments, every reference n-gram in one segment: idf = ln 2 - ln 1 for all (unseen n-grams too, df 0 -> 1)
        // segment 1: 'a b' vs 'a b': orders 1 and 2 cosine 1, orders 3 and 4 empty (0): mean 0.5, x10 = 5
        // segment 2: 'c d' vs 'c e': order 1 cosine 1/2, others 0: mean 0.125, x10 = 1.25
        List<Double> segments = Cider.segments(List.of(Prediction.of("a b", "a b"), Prediction.of("c d", "c e")));
        assertThat(segments.get(0)).isCloseTo(5.0, within(EPS));
        assertThat(segments.get(1)).isCloseTo(1.25, within(EPS));
        assertThat(Cider.corpus(List.of(Prediction.of("a b", "a b"), Prediction.of("c d", "c e"))))
                .isCloseTo(3.125, within(EPS));
    }

    @Test
    void ciderDClipsAndPenalisesLengthByBigramCount() {
        // 'a b x' vs 'a b': order 1: (ln2^2 * 2) / (sqrt3 ln2 * sqrt2 ln2) = 2/sqrt6; order 2: 1/sqrt2; 3, 4: 0;
        // lengths are bigram counts 2 and 1: penalty exp(-1 / (2 * 36))
        double expected = (2 / Math.sqrt(6) + 1 / Math.sqrt(2)) * Math.exp(-1.0 / 72) / 4 * 10;
        List<Double> segments = Cider.segments(List.of(Prediction.of("a b x", "a b"), Prediction.of("c d", "c e")));
        assertThat(segments.get(0)).isCloseTo(expected, within(EPS));
        // a hypothesis repeating a reference word gains nothing beyond the reference's weight (the 'D' clipping)
        List<Double> repeated = Cider.segments(List.of(Prediction.of("a a", "a b"), Prediction.of("c d", "c e")));
        double clipped = (1 / (2 * Math.sqrt(2))) / 4 * 10; // order 1: min(2g, g) g / (2g * sqrt2 g)
        assertThat(repeated.get(0)).isCloseTo(clipped, within(EPS));
    }

    @Test
    void ciderOfASingleSegmentIsZeroAsInTheReferenceCode() {
        assertThat(Cider.corpus(List.of(Prediction.of("a b", "a b")))).isZero();
    }
}
