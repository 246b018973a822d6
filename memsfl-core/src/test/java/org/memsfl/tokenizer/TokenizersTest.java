package org.memsfl.tokenizer;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

class TokenizersTest {

    @Test
    void picksTheFormatEachDirectoryShips() {
        assertThat(Tokenizers.load(Assets.path("models/stories260K"))).isInstanceOf(Llama2cTokenizer.class);
        assertThat(Tokenizers.load(Assets.path("models/gpt2-tokenizer"))).isInstanceOf(Gpt2BpeTokenizer.class);
        Tokenizer tiny = Tokenizers.load(Assets.path("models/tiny-gpt2-random"));
        assertThat(tiny).isInstanceOf(Gpt2BpeTokenizer.class);
        assertThat(tiny.vocabSize()).isEqualTo(21);
    }

    @Test
    void tokenizerJsonWinsOverVocabAndMerges(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n");
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "added_tokens": [], "normalizer": null,
                 "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "a": 1, "b": 2}, "unk_token": "<unk>"}}
                """);
        Tokenizer tok = Tokenizers.load(dir);
        assertThat(tok).isInstanceOf(HfTokenizer.class);
        assertThat(tok.encode("b a c")).containsExactly(2, 1, 0);
        ((HfTokenizer) tok).close();
    }

    @Test
    void directoryWithoutATokenizerIsBadInput(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{}");
        assertThatThrownBy(() -> Tokenizers.load(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("merges.txt is missing");
        assertThatThrownBy(() -> Tokenizers.load(dir.resolve("absent")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("absent");
    }
}
