package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memsfl.engine.DType;
import org.memsfl.tokenizer.Llama2cTokenizer;
import org.memsfl.train.Generator;

/** The forward pass is right if greedy decoding reproduces llama2.c's reference continuations token for token. */
class GoldenGreedyTest {

    static JsonNode golden;
    static DecoderModel model;
    static Llama2cTokenizer tok;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Assets.root().resolve("models/stories260K");
        golden = new ObjectMapper().readTree(dir.resolve("golden_greedy.json").toFile());
        model = Llama2cLoader.load(Assets.stories260K(), LayerRange.all(5), DType.F32);
        tok = Llama2cTokenizer.load(Assets.tok512());
    }

    @Test
    void promptContinuationMatchesReference() {
        int[] prompt = new int[golden.get("prompt_ids_with_bos").size()];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = golden.get("prompt_ids_with_bos").get(i).asInt();
        }
        int steps = golden.get("steps").asInt();
        // llama2.c counts the prompt inside its step budget
        int[] out = new Generator(model, null).generate(prompt, Generator.Settings.greedy(steps - prompt.length + 1), 2);
        int[] all = concat(prompt, out);
        assertThat(tok.decode(all)).isEqualTo(golden.get("greedy_text").asText());
    }

    @Test
    void emptyPromptContinuationMatchesReference() {
        // the key says 256 steps; the prompt is BOS alone, so 256 - 1 + 1 tokens are generated
        int[] out = new Generator(model, null).generate(new int[] {1}, Generator.Settings.greedy(256 - 1 + 1), 2);
        assertThat(tok.decode(concat(new int[] {1}, out))).isEqualTo(golden.get("empty_prompt_greedy_256").asText());
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = new int[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
