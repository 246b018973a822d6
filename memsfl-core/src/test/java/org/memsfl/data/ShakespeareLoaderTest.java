package org.memsfl.data;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ShakespeareLoaderTest {

    private static final Path FILE = Assets.path(ShakespeareLoader.RELATIVE_FILE);
    private static final List<Example> SPEECHES = ShakespeareLoader.read(FILE);

    @Test
    void countsSpeechesAndSpeakers() {
        assertThat(SPEECHES).hasSize(7_222);
        Map<String, Long> perSpeaker = SPEECHES.stream()
                .collect(Collectors.groupingBy(Example::clientKey, Collectors.counting()));
        // The assets README says 310 speakers. Splitting on "\n\n" literally, as that count evidently did, leaves
        // two blocks starting with "\n" (the file has two triple newlines, after "untimely bier." and "old
        // contracting."), whose "first line" is the empty string: 309 real speakers + "" = 310.
        assertThat(perSpeaker).hasSize(309).doesNotContainKey("");
        assertThat(perSpeaker.values().stream().filter(n -> n >= 50).count()).isEqualTo(52);
    }

    @Test
    void speechesArePlainTextWithTheSpeakerLine() {
        Example first = SPEECHES.get(0);
        assertThat(first.prompt()).isEmpty();
        assertThat(first.response()).isEqualTo("First Citizen:\nBefore we proceed any further, hear me speak.");
        assertThat(first.clientKey()).isEqualTo("First Citizen");
        // 125 speeches have lost their lines in the source ("TITUS:" followed by a blank line); they are kept
        assertThat(SPEECHES.stream().filter(e -> !e.response().contains("\n")).count()).isEqualTo(125);
    }

    @Test
    void speechesRebuildTheWholeText() throws IOException {
        String text = Files.readString(FILE);
        String rebuilt = SPEECHES.stream().map(Example::response).collect(Collectors.joining("\n\n")) + "\n";
        assertThat(rebuilt).isEqualTo(text.replace("\n\n\n", "\n\n"));
    }
}
