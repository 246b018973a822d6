package org.memsfl.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

class HfTokenizerTest {

    /**
     * A word-level tokenizer whose post-processor would prepend {@code <s>}: encode must not apply it, because our
     * callers add BOS themselves.
     */
    private static final String WORD_LEVEL = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
                {"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                 "normalized": false, "special": true},
                {"id": 1, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
                 "normalized": false, "special": true}
              ],
              "normalizer": {"type": "Lowercase"},
              "pre_tokenizer": {"type": "Whitespace"},
              "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}
              },
              "decoder": null,
              "model": {
                "type": "WordLevel",
                "vocab": {"<s>": 0, "</s>": 1, "<unk>": 2, "hello": 3, "world": 4, "!": 5, "split": 6,
                          "federated": 7},
                "unk_token": "<unk>"
              }
            }
            """;

    private static Path write(Path dir, String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void encodesKnownIdsWithoutSpecialTokens(@TempDir Path dir) throws IOException {
        Path json = write(dir, "tokenizer.json", WORD_LEVEL);
        try (HfTokenizer tok = HfTokenizer.load(json)) {
            assertThat(tok.encode("Hello world!")).containsExactly(3, 4, 5);
            assertThat(tok.encode("split federated banana")).containsExactly(6, 7, 2);
            assertThat(tok.vocabSize()).isEqualTo(8);
            // WordLevel without a decoder joins tokens with spaces; specials are skipped
            assertThat(tok.decode(new int[] {0, 3, 4, 1})).isEqualTo("hello world");
        }
    }

    @Test
    void bosEosComeFromTokenizerConfig(@TempDir Path dir) throws IOException {
        Path json = write(dir, "tokenizer.json", WORD_LEVEL);
        // deliberately swapped against the conventional names to show the config is what is read
        write(dir, "tokenizer_config.json", "{\"bos_token\": \"</s>\", \"eos_token\": {\"content\": \"<s>\"}}");
        try (HfTokenizer tok = HfTokenizer.load(json)) {
            assertThat(tok.bosId()).hasValue(1);
            assertThat(tok.eosId()).hasValue(0);
        }
    }

    @Test
    void conventionalNamesAreTheFallback(@TempDir Path dir) throws IOException {
        try (HfTokenizer tok = HfTokenizer.load(write(dir, "tokenizer.json", WORD_LEVEL))) {
            assertThat(tok.bosId()).hasValue(0);
            assertThat(tok.eosId()).hasValue(1);
        }
    }

    @Test
    void configNamingAnUnknownTokenIsBadInput(@TempDir Path dir) throws IOException {
        Path json = write(dir, "tokenizer.json", WORD_LEVEL);
        write(dir, "tokenizer_config.json", "{\"bos_token\": \"<bos>\"}");
        assertThatThrownBy(() -> HfTokenizer.load(json))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("bos_token")
                .hasMessageContaining("<bos>");
    }

    @Test
    void missingOrBrokenFileIsBadInput(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> HfTokenizer.load(dir.resolve("tokenizer.json")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("tokenizer.json");
        Path broken = write(dir, "tokenizer.json", "{\"model\": ");
        assertThatThrownBy(() -> HfTokenizer.load(broken))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(broken.toString());
    }
}
