package org.memsfl.data;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DollyLoaderTest {

    private static final List<Example> ALL = DollyLoader.read(Assets.path(DollyLoader.RELATIVE_DIR));

    @Test
    void readsAllRecordsWithTheirCategory() {
        assertThat(ALL).hasSize(15_011);
        Map<String, Long> perCategory = ALL.stream()
                .collect(Collectors.groupingBy(Example::clientKey, TreeMap::new, Collectors.counting()));
        assertThat(perCategory).containsExactlyEntriesOf(new TreeMap<>(Map.of(
                "brainstorming", 1766L, "classification", 2136L, "closed_qa", 1773L, "creative_writing", 709L,
                "general_qa", 2191L, "information_extraction", 1506L, "open_qa", 3742L, "summarization", 1188L)));
    }

    @Test
    void contextSectionAppearsOnlyWhenThereIsContext() {
        Example withContext = ALL.stream().filter(e -> e.prompt().contains("### Context:\n")).findFirst().orElseThrow();
        assertThat(withContext.prompt()).startsWith("### Instruction:\n").endsWith("\n\n### Response:\n");
        assertThat(withContext.prompt()).containsPattern("(?s)### Instruction:\n.+\n\n### Context:\n.+\n\n### Response:\n");
        long withoutContext = ALL.stream().filter(e -> !e.prompt().contains("### Context:")).count();
        assertThat(withoutContext).isPositive();
        // brainstorming records carry no context in this dataset
        assertThat(ALL.stream().filter(e -> e.clientKey().equals("brainstorming")).findFirst().orElseThrow().prompt())
                .matches("(?s)### Instruction:\n[^#]+\n\n### Response:\n");
    }

    @Test
    void templateWording() {
        Example e = PromptTemplate.dolly("Name a colour.", "", "Blue.", "open_qa");
        assertThat(e.prompt()).isEqualTo("### Instruction:\nName a colour.\n\n### Response:\n");
        assertThat(e.response()).isEqualTo("Blue.");
        Example c = PromptTemplate.dolly("Summarise.", "Long text.", "Short.", "summarization");
        assertThat(c.prompt()).isEqualTo("### Instruction:\nSummarise.\n\n### Context:\nLong text.\n\n### Response:\n");
    }

    @Test
    void loadHoldsOutFivePercentCappedAt500() {
        Dataset d = DollyLoader.load(Assets.path(DollyLoader.RELATIVE_DIR));
        assertThat(d.name()).isEqualTo("dolly");
        assertThat(d.eval()).hasSize(500);
        assertThat(d.train()).hasSize(15_011 - 500);
    }
}
