package org.memsfl.tokenizer;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

class Gpt2BpeTokenizerTest {

    private static final Path GPT2 = Assets.path("models/gpt2-tokenizer");
    private static final Gpt2BpeTokenizer TOK = Gpt2BpeTokenizer.load(GPT2);

    @Test
    void encodesKnownR50kIds() throws IOException {
        JsonNode vocab = new ObjectMapper().readTree(GPT2.resolve("vocab.json").toFile());
        // cross-check by hand: both words are whole vocab entries, the space becomes U+0120 'Ġ'
        assertThat(vocab.get("Hello").asInt()).isEqualTo(15496);
        assertThat(vocab.get("\u0120world").asInt()).isEqualTo(995);
        assertThat(vocab.get("\u0120the").asInt()).isEqualTo(262);

        assertThat(TOK.encode("Hello world")).containsExactly(15496, 995);
        assertThat(TOK.encode(" the")).containsExactly(262);
        // "'s" is its own pre-token and " 2026" splits into " 20" + "26"
        assertThat(TOK.encode("Hello, world! It's 2026."))
                .containsExactly(15496, 11, 995, 0, 632, 338, 1160, 2075, 13);
        // non-ASCII goes through bytes: "é" is C3 A9 -> "Ã©"; runs of spaces keep one space for the next word
        assertThat(TOK.encode("café — 東京 🙂"))
                .containsExactly(66, 1878, 2634, 851, 10545, 251, 109, 12859, 105, 32485);
        assertThat(TOK.encode("  two  spaces\n\nand newlines  "))
                .containsExactly(220, 734, 220, 9029, 198, 198, 392, 649, 6615, 220, 220);
    }

    @Test
    void roundTripsShakespeareAndNonAscii() throws IOException {
        String text = Files.readString(Assets.path("data/tinyshakespeare/input.txt"));
        String paragraph = text.substring(0, 3000);
        assertThat(TOK.decode(TOK.encode(paragraph))).isEqualTo(paragraph);
        for (String s : List.of("café — 東京 🙂", "tabs\tand\r\nCRLF", "", "   ", "'ll've'd")) {
            assertThat(TOK.decode(TOK.encode(s))).as(s).isEqualTo(s);
        }
    }

    @Test
    void endOfTextIsBosEosAndSkippedOnDecode() {
        assertThat(TOK.vocabSize()).isEqualTo(50257);
        assertThat(TOK.bosId()).hasValue(50256);
        assertThat(TOK.eosId()).hasValue(50256);
        assertThat(TOK.decode(new int[] {50256, 15496, 995, 50256})).isEqualTo("Hello world");
        // a literal marker in the text is ordinary text, not the special token
        assertThat(TOK.encode("<|endoftext|>")).doesNotContain(50256);
    }

    @Test
    void tinyVocabAppliesMergesByRank() {
        Gpt2BpeTokenizer tiny = Gpt2BpeTokenizer.load(Assets.path("models/tiny-gpt2-random"));
        // merges: "Ġ l", "Ġl o", "Ġlo w", "e r"; "Ġlowest" is in the vocab but no merge reaches it
        assertThat(tiny.encode(" lower")).containsExactly(14, 15);
        assertThat(tiny.encode(" lowest")).containsExactly(14, 3, 5, 6);
        assertThat(tiny.decode(new int[] {14, 15, 20})).isEqualTo(" lower");
        assertThat(tiny.eosId()).hasValue(20);
        assertThat(tiny.vocabSize()).isEqualTo(21);
        // 'x' has no token, so it becomes <unk> (id 19), which decode skips as a special token
        assertThat(tiny.encode("x")).containsExactly(19);
        assertThat(tiny.decode(new int[] {19})).isEmpty();
    }

    @Test
    void malformedMergesLineNamesFileAndLine(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\nab\n");
        assertThatThrownBy(() -> Gpt2BpeTokenizer.load(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("merges.txt")
                .hasMessageContaining("line 3");
    }

    @Test
    void missingVocabIsBadInput(@TempDir Path dir) {
        assertThatThrownBy(() -> Gpt2BpeTokenizer.load(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("vocab.json");
    }
}
