package org.memsfl.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * BLEU and NIST against values computed by hand (each expected value is written out as the formula of the paper
 * with the counts of the example; tolerance 1e-9, double rounding only).
 */
class BleuNistTest {

    private static final double EPS = 1e-9;

    @Test
    void mtevalTokenizationFoldsCaseAndSplitsPunctuationButNotDecimals() {
        assertThat(MtevalTokenizer.tokenize("The Eagle, priced at 3.50 (cheap).  It's \"near\" A&B"))
                .containsExactly("the", "eagle", ",", "priced", "at", "3.50", "(", "cheap", ")", ".", "it's", "\"",
                        "near", "\"", "a", "&", "b");
        assertThat(MtevalTokenizer.tokenize("  ")).isEmpty();
    }

    @Test
    void identicalSentenceScoresOne() {
        assertThat(Bleu.corpus(List.of(Prediction.of("the cat sat on the mat", "The cat sat on the mat"))))
                .isCloseTo(1.0, within(EPS));
    }

    @Test
    void oneReferenceWithEveryOrderMatchedPartly() {
        // unigrams 5/6 (a), bigrams 3/5, trigrams 2/4, 4-grams 1/3; equal lengths so no brevity penalty
        Bleu.Stats s = Bleu.stats(List.of(Prediction.of("the cat sat on a mat", "the cat sat on the mat")));
        assertThat(s.precision(1)).isCloseTo(5.0 / 6, within(EPS));
        assertThat(s.precision(4)).isCloseTo(1.0 / 3, within(EPS));
        assertThat(s.score()).isCloseTo(Math.pow(5.0 / 6 * 3.0 / 5 * 2.0 / 4 * 1.0 / 3, 0.25), within(EPS));
    }

    @Test
    void brevityPenaltyUsesTheShortestReferenceAsMtevalDoes() {
        // hypothesis 6 tokens, reference 8: all precisions 1, BP = exp(1 - 8/6)
        assertThat(Bleu.corpus(List.of(Prediction.of("a b c d e f", "a b c d e f g h"))))
                .isCloseTo(Math.exp(1 - 8.0 / 6), within(EPS));
        // hypothesis 7 tokens, references of 5 and 8: the closest (8) would penalise, the shortest (5) does not
        assertThat(Bleu.corpus(List.of(Prediction.of("a b c d e f g", "a b c d e", "a b c d e f g h"))))
                .isCloseTo(1.0, within(EPS));
    }

    @Test
    void severalReferencesClipByTheLargestCountInAnyOneReference() {
        // Papineni et al. 2002, section 2.1: "the" x7 against two references; clipped unigram precision 2/7
        Bleu.Stats s = Bleu.stats(List.of(Prediction.of("the the the the the the the", "The cat is on the mat.",
                "There is a cat on the mat.")));
        assertThat(s.precision(1)).isCloseTo(2.0 / 7, within(EPS));
        // a 4-gram only the second reference holds counts: 'on the mat .' is in both, 'a cat on the' only in ref 2
        Bleu.Stats multi = Bleu.stats(List.of(Prediction.of("there is a cat on the mat .", "the cat is on the mat .",
                "there is a cat on the mat .")));
        assertThat(multi.score()).isCloseTo(1.0, within(EPS));
    }

    @Test
    void anOrderWithoutMatchesMakesBleuZeroWithoutSmoothing() {
        assertThat(Bleu.corpus(List.of(Prediction.of("the the the the", "the cat")))).isZero();
        assertThat(Bleu.corpus(List.of(Prediction.of("", "the cat")))).isZero();
    }

    @Test
    void corpusBleuSumsCountsBeforeTheMean() {
        // segment 1 alone has no 4-gram (3 tokens): BLEU 0; summed with segment 2 the corpus has every order
        List<Prediction> corpus = List.of(Prediction.of("a b c", "a b c"), Prediction.of("d e f g", "d e f g"));
        assertThat(Bleu.corpus(corpus.subList(0, 1))).isZero();
        assertThat(Bleu.corpus(corpus)).isCloseTo(1.0, within(EPS));
    }

    @Test
    void nistLengthPenaltyIsHalfAtTwoThirds() {
        assertThat(Nist.lengthPenalty(2.0 / 3)).isCloseTo(0.5, within(EPS));
        assertThat(Nist.lengthPenalty(1.2)).isEqualTo(1.0);
    }

    @Test
    void nistOnATwoSegmentCorpusByHand() {
        // reference words: a b a | b c (5); counts a 2, b 2, c 1; bigrams 'a b' 1, 'b a' 1, 'b c' 1
        double log2 = Math.log(2);
        double infoA = Math.log(5.0 / 2) / log2;
        double infoB = Math.log(5.0 / 2) / log2;
        double infoC = Math.log(5.0) / log2;
        double infoAB = Math.log(2.0 / 1) / log2; // count(a) / count(a b)
        double infoBC = Math.log(2.0 / 1) / log2; // count(b) / count(b c)
        double unigram = (infoA + infoB + infoB + infoC) / 4;  // 4 hypothesis unigrams, all matched
        double bigram = (infoAB + infoBC) / 2;                 // 2 hypothesis bigrams, both matched
        double beta = Math.log(2) / Math.pow(Math.log(1.5), 2);
        double penalty = Math.exp(-beta * Math.pow(Math.log(4.0 / 5), 2)); // 4 hypothesis vs 5 reference words
        double expected = (unigram + bigram) * penalty;
        double got = Nist.corpus(List.of(Prediction.of("a b", "a b a"), Prediction.of("b c", "b c")));
        assertThat(got).isCloseTo(expected, within(EPS));
        assertThat(expected).isCloseTo(2.08490, within(1e-4));
    }
}
