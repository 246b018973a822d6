package org.memsfl.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GSM8K answer extraction: commas, negatives, decimals, dollar signs, the #### line and the last number. */
class ExactMatchTest {

    private static BigDecimal answer(String text) {
        return ExactMatch.predictedAnswer(text).orElseThrow();
    }

    @Test
    void referenceAnswerIsTheNumberAfterTheMark() {
        String reference = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 "
                + "clips altogether in April and May.\n#### 72";
        assertThat(ExactMatch.referenceAnswer(reference)).contains(new BigDecimal("72"));
        assertThat(ExactMatch.referenceAnswer("so 5 + 7\n#### 1,250")).contains(new BigDecimal("1250"));
    }

    @Test
    void predictionAnswerIsTheLastNumber() {
        assertThat(answer("She had 3 apples, then 10, so the answer is -3.5.")).isEqualByComparingTo("-3.5");
        assertThat(answer("It costs $1,234.50 in total")).isEqualByComparingTo("1234.5");
        assertThat(answer("first 12 then #### 40 and later 7")).isEqualByComparingTo("40");
        assertThat(ExactMatch.predictedAnswer("no number here")).isEmpty();
    }

    @Test
    void exactMatchComparesValuesNotStrings() {
        List<Prediction> p = List.of(
                Prediction.of("The answer is 1250.00", "#### 1,250"),
                Prediction.of("so -7 remain", "#### -7"),
                Prediction.of("so 7 remain", "#### -7"),
                Prediction.of("I do not know", "#### 3"));
        assertThat(ExactMatch.segment(p.get(0))).isTrue();
        assertThat(ExactMatch.segment(p.get(1))).isTrue();
        assertThat(ExactMatch.segment(p.get(2))).isFalse();
        assertThat(ExactMatch.segment(p.get(3))).isFalse();
        assertThat(ExactMatch.corpus(p)).isEqualTo(0.5);
    }
}
