package org.memsfl.data;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class E2eLoaderTest {

    private static final Dataset E2E = E2eLoader.load(Assets.path(E2eLoader.RELATIVE_DIR));

    @Test
    void devTrainsAndTestEvaluates() {
        assertThat(E2E.name()).isEqualTo("e2e");
        assertThat(E2E.train()).hasSize(4_672);
        assertThat(E2E.eval()).hasSize(4_693);
        assertThat(E2E.train().stream().map(Example::prompt).distinct().count()).isEqualTo(547);
        assertThat(E2E.eval().stream().map(Example::prompt).distinct().count()).isEqualTo(630);
    }

    @Test
    void firstRecordUsesTheTemplateAndTheRestaurantKey() {
        Example first = E2E.train().get(0);
        assertThat(first.prompt()).isEqualTo(
                "Meaning representation: name[Alimentum], area[city centre], familyFriendly[no]\nDescription: ");
        assertThat(first.response())
                .isEqualTo("There is a place in the city centre, Alimentum, that is not family-friendly.");
        assertThat(first.clientKey()).isEqualTo("Alimentum");
    }

    @Test
    void everyRecordHasARestaurantName() {
        Set<String> trainNames = E2E.train().stream().map(Example::clientKey).collect(Collectors.toSet());
        assertThat(trainNames).doesNotContain("").hasSize(20);
        assertThat(E2E.eval().stream().map(Example::clientKey)).doesNotContain("");
        // the devset is CRLF: no value may keep a stray carriage return
        assertThat(E2E.train()).noneMatch(e -> e.response().contains("\r") || e.prompt().contains("\r"));
    }

    @Test
    void quotedFieldsKeepCommasAndQuotes() {
        assertThat(E2E.train()).anyMatch(e -> e.response().contains(","));
        // the one dev reference holding a double quote, which the file writes doubled inside a quoted field
        assertThat(E2E.train().stream().filter(e -> e.response().contains("\"")).count()).isEqualTo(1);
    }

    @Test
    void restaurantKeyParsing() {
        assertThat(E2eLoader.restaurant("eatType[pub], name[The Eagle], food[French]")).isEqualTo("The Eagle");
        assertThat(E2eLoader.restaurant("eatType[pub]")).isEmpty();
    }
}
