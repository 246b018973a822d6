package org.memsfl.data;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Gsm8kLoaderTest {

    @Test
    void trainAndTestSplits() {
        Dataset d = Gsm8kLoader.load(Assets.path(Gsm8kLoader.RELATIVE_DIR));
        assertThat(d.train()).hasSize(7_473);
        assertThat(d.eval()).hasSize(1_319);
        assertThat(d.all()).allMatch(e -> e.clientKey().isEmpty());
        assertThat(d.all()).allMatch(e -> e.response().matches("(?s).*\n#### -?[0-9,.]+$"));
        Example first = d.train().get(0);
        assertThat(first.prompt()).startsWith("Question: Natalia sold clips to 48 of her friends").endsWith("\nAnswer: ");
        assertThat(first.response()).endsWith("#### 72");
    }
}
