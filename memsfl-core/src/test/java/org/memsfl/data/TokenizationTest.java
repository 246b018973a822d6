package org.memsfl.data;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.memsfl.tokenizer.Gpt2BpeTokenizer;
import org.memsfl.tokenizer.Llama2cTokenizer;
import org.memsfl.tokenizer.Tokenizer;

class TokenizationTest {

    private static final Llama2cTokenizer LLAMA =
            Llama2cTokenizer.load(Assets.path("models/stories260K/tok512.bin"));
    private static final Gpt2BpeTokenizer GPT2 = Gpt2BpeTokenizer.load(Assets.path("models/gpt2-tokenizer"));

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void promptPositionsAreMaskedAndResponsePositionsPredictTheNextToken() {
        Example e = new Example("Once upon a time", " there was a cat.", "k");
        TokenizedExample te = new Tokenization(LLAMA, 512).apply(e);

        int[] full = LLAMA.encode(e.prompt() + e.response());
        int[] ids = concat(new int[] {1}, full, new int[] {2});
        assertThat(te.inputs()).containsExactly(Arrays.copyOf(ids, ids.length - 1));
        // "Once upon a time" is 4 tokens (403 407 261 378) and stays a prefix of the full encoding
        assertThat(Arrays.copyOf(full, 4)).containsExactly(403, 407, 261, 378);
        int promptEnd = 1 + 4; // BOS + prompt tokens
        for (int t = 0; t < te.length(); t++) {
            if (t + 1 < promptEnd) {
                assertThat(te.targets()[t]).as("target %d", t).isEqualTo(Tokenization.IGNORE);
            } else {
                assertThat(te.targets()[t]).as("target %d", t).isEqualTo(ids[t + 1]);
            }
        }
        assertThat(te.targets()[te.length() - 1]).isEqualTo(2);
        assertThat(te.clientKey()).isEqualTo("k");
        int[] responseTokens = Arrays.stream(te.targets()).filter(t -> t != Tokenization.IGNORE).toArray();
        assertThat(LLAMA.decodeContinuation(responseTokens)).isEqualTo(" there was a cat.");
    }

    @Test
    void emptyPromptPutsALabelOnEveryPositionAfterBos() {
        TokenizedExample te = new Tokenization(LLAMA, 512).apply(Example.text("The cat sat."));
        int[] ids = concat(new int[] {1}, LLAMA.encode("The cat sat."), new int[] {2});
        assertThat(te.inputs()).containsExactly(Arrays.copyOf(ids, ids.length - 1));
        assertThat(te.targets()).containsExactly(Arrays.copyOfRange(ids, 1, ids.length));
        assertThat(te.numTargets()).isEqualTo(ids.length - 1);
    }

    @Test
    void aTokenStraddlingTheBoundaryBelongsToTheResponse() {
        // GPT-2 encodes "Answer: " with a lone trailing space token (220) but "Answer: 42" as ":" + " 42"
        Example e = PromptTemplate.gsm8k("What is 6*7?", "42");
        int[] prompt = GPT2.encode(e.prompt());
        assertThat(prompt[prompt.length - 1]).isEqualTo(220);
        TokenizedExample te = new Tokenization(GPT2, 512).apply(e);
        int[] supervised = Arrays.stream(te.targets()).filter(t -> t != Tokenization.IGNORE).toArray();
        assertThat(supervised).containsExactly(GPT2.encode(" 42")[0], 50256);
        assertThat(GPT2.decode(supervised)).isEqualTo(" 42");
        // GPT-2's tokenizer adds no BOS (add_bos_token defaults to false), so neither do training examples
        assertThat(GPT2.addsBos()).isFalse();
        assertThat(te.inputs()[0]).isEqualTo(prompt[0]);
    }

    @Test
    void longExamplesAreCutToMaxSeqLenInputs() {
        String response = String.join(" ", java.util.Collections.nCopies(200, "once upon a time"));
        TokenizedExample te = new Tokenization(LLAMA, 16).apply(new Example("Hello", response, ""));
        assertThat(te.length()).isEqualTo(16);
        int[] ids = concat(new int[] {1}, LLAMA.encode("Hello" + response));
        assertThat(te.inputs()).containsExactly(Arrays.copyOf(ids, 16));
        assertThat(te.targets()[15]).isEqualTo(ids[16]);
    }

    @Test
    void longPromptsAreCutFromTheLeftNotDropped() {
        Tokenization tok = new Tokenization(LLAMA, 4);
        Example longPrompt = new Example("Once upon a time there was a big dog", "Yes.", "");
        TokenizedExample t = tok.apply(longPrompt);
        // a 5-id window keeps a quarter (one id) for the response: the last target is the response's first token
        assertThat(t.numTargets()).isEqualTo(1);
        assertThat(t.inputs()[0]).isEqualTo(Llama2cTokenizer.BOS);
        List<TokenizedExample> kept = tok.applyAll(List.of(longPrompt, new Example("Hi", " there", ""), longPrompt));
        assertThat(kept).hasSize(3);
    }

    @Test
    void worksForEveryKnownDatasetTemplate() {
        Tokenizer tok = LLAMA;
        Tokenization t = new Tokenization(tok, 256);
        for (Example e : List.of(PromptTemplate.dolly("Name a colour.", "", "Blue.", "open_qa"),
                PromptTemplate.e2e("name[A]", "A is a pub.", "A"), PromptTemplate.gsm8k("1+1?", "#### 2"))) {
            TokenizedExample te = t.apply(e);
            assertThat(te.targets()[0]).isEqualTo(Tokenization.IGNORE);
            assertThat(te.targets()[te.length() - 1]).isEqualTo(2);
            assertThat(IntStream.of(te.targets()).filter(x -> x != Tokenization.IGNORE).count())
                    .isLessThan(te.length());
        }
    }

    @Test
    void recordValidation() {
        assertThatThrownBy(() -> new TokenizedExample(new int[2], new int[3], ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("inputs and targets must have the same length, got 2 and 3");
        assertThatThrownBy(() -> new Tokenization(LLAMA, 0))
                .hasMessage("maxSeqLen must be > 0, got 0");
    }

    @Test
    void longPromptLosesItsBeginningSoTheResponseStaysSupervised() {
        String prompt = "word ".repeat(200);
        String response = "The answer is short.";
        int max = 32;
        TokenizedExample t = new Tokenization(GPT2, max).apply(new Example(prompt, response, "k"));
        int[] responseIds = GPT2.encode(response);
        long supervised = java.util.Arrays.stream(t.targets()).filter(x -> x != Tokenization.IGNORE).count();
        // the whole response plus EOS fits in a quarter of the 33-id window, so all of it is supervised
        assertThat(supervised).isEqualTo(responseIds.length + 1);
        assertThat(t.inputs()).hasSize(max);
        assertThat(t.inputs()[0]).isEqualTo(GPT2.encode(" word")[0]);   // cut from the left, and no BOS for GPT-2
        // the last supervised targets are the response's final token and EOS
        assertThat(t.targets()[t.targets().length - 1]).isEqualTo(GPT2.eosId().getAsInt());
        assertThat(t.targets()[t.targets().length - 2]).isEqualTo(responseIds[responseIds.length - 1]);
    }
}
