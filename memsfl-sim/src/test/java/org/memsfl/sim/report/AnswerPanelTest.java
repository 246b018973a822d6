package org.memsfl.sim.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The answer panel's rows, ratios and verdicts on the fixture, each checked against the fixture's own numbers. */
class AnswerPanelTest {

    @Test
    void memoryQualityAndTimeAgainstEveryBaseline() {
        ReportInput in = ReportFixtures.withQuality();
        List<AnswerPanel.Row> rows = AnswerPanel.rows(in);
        // memory and time against 4 baselines, loss and task metric against centralized and splitlora
        assertThat(rows).hasSize(4 + 4 + 2 * 2);
        AnswerPanel.Row mem = rows.get(0);
        assertThat(mem.baseline()).isEqualTo("sfl-lora");
        assertThat(mem.question()).contains("random:gpt2-medium"); // both have scale rows
        assertThat(mem.ratio()).isCloseTo(1650.0 / 2410.0, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(mem.verdict()).isEqualTo("32% less memory");
        AnswerPanel.Row splitloraMem = rows.stream().filter(r -> r.question().startsWith("server memory")
                && r.baseline().equals("splitlora")).findFirst().orElseThrow();
        assertThat(splitloraMem.question()).contains("trained model"); // no scale row for splitlora: like with like
        // fedlora's server holds no model: the verdict says so, and names the device it dropped, not a bare ratio
        AnswerPanel.Row fedloraMem = rows.stream().filter(r -> r.question().startsWith("server memory")
                && r.baseline().equals("fedlora")).findFirst().orElseThrow();
        assertThat(fedloraMem.verdict()).contains("holds only adapters, no model")
                .contains("must hold the full model").contains("2 devices that could not (phone-low, tablet-mid) were dropped");
        assertThat(AnswerPanel.fedloraMemory(Double.POSITIVE_INFINITY, List.of())).contains("none was dropped")
                .doesNotContain("%");
        AnswerPanel.Row loss = rows.stream().filter(r -> r.question().startsWith("held-out loss")
                && r.baseline().equals("centralized")).findFirst().orElseThrow();
        double mine = in.methods().get("memsfl").finalEvalLoss();
        assertThat(loss.ratio()).isEqualTo(mine / 2.20);
        AnswerPanel.Row bleu = rows.stream().filter(r -> r.question().startsWith("bleu")
                && r.baseline().equals("centralized")).findFirst().orElseThrow();
        assertThat(bleu.ratio()).isCloseTo(0.231 / 0.240, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(bleu.verdict()).startsWith("comparable");
    }

    @Test
    void verdictsNameDirectionAndSize() {
        assertThat(AnswerPanel.cost(0.5, "less memory", "more memory")).isEqualTo("50% less memory");
        assertThat(AnswerPanel.cost(1.3, "faster", "slower")).isEqualTo("30% slower");
        assertThat(AnswerPanel.cost(1.01, "faster", "slower")).isEqualTo("about the same");
        assertThat(AnswerPanel.lossVerdict(2.5, 2.0)).isEqualTo("25% higher: worse");
        assertThat(AnswerPanel.metricVerdict(0.30, 0.20)).isEqualTo("50% higher: better");
        assertThat(AnswerPanel.metricVerdict(0.0, 0.0)).isEqualTo("both near zero: no signal");
    }
}
