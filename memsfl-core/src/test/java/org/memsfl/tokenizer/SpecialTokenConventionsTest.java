package org.memsfl.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.model.Assets;

/**
 * Which special tokens a checkpoint's tokenizer adds, read from its files as Hugging Face reads them: the
 * post-processor's template (Llama-3's {@code TemplateProcessing} puts {@code <|begin_of_text|>} first; Qwen2's
 * {@code ByteLevel} adds nothing), {@code add_bos_token}/{@code add_eos_token} where the config sets them, and
 * {@code "bos_token": null} as no BOS at all.
 */
class SpecialTokenConventionsTest {

    static final ObjectMapper M = new ObjectMapper();

    @Test
    void templateProcessingPrefixMeansBosAndSuffixMeansEos() throws Exception {
        // Llama-3.x tokenizer.json post_processor (a Sequence of ByteLevel and TemplateProcessing)
        String llama3 = """
                {"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": true},
                 {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                  {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {}}]}""";
        assertThat(HfTokenizer.template(M.readTree(llama3))).containsExactly(true, false);
        String withEos = """
                {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "</s>", "type_id": 0}}]}""";
        assertThat(HfTokenizer.template(M.readTree(withEos))).containsExactly(false, true);
        assertThat(HfTokenizer.template(M.readTree("{\"type\": \"ByteLevel\"}"))).containsExactly(false, false);
        assertThat(HfTokenizer.template(M.missingNode())).containsExactly(false, false);
    }

    @Test
    void gpt2FilesAddNothingUnlessTheConfigSaysSo(@TempDir Path dir) throws Exception {
        Path tok = Assets.root().resolve("models/gpt2-tokenizer");
        Files.copy(tok.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(tok.resolve("merges.txt"), dir.resolve("merges.txt"));
        Tokenizer plain = Tokenizers.load(dir);
        assertThat(plain.bosId()).hasValue(50256);
        assertThat(plain.addsBos()).isFalse();
        assertThat(plain.addsEos()).isFalse();
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": \"<|endoftext|>\"}");
        assertThat(Tokenizers.load(dir).addsBos()).isTrue();
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": null}");
        Tokenizer none = Tokenizers.load(dir);
        assertThat(none.bosId()).isEmpty();
        assertThat(none.addsBos()).isFalse();   // nothing to add
    }

    @Test
    void llama2cAddsBosLikeRunC() {
        Tokenizer t = Llama2cTokenizer.load(Assets.tok512());
        assertThat(t.addsBos()).isTrue();
        assertThat(t.addsEos()).isFalse();
    }
}
