package org.memsfl.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.memsfl.data.Tokenization;
import org.memsfl.data.TokenizedExample;
import org.memsfl.model.Assets;
import org.memsfl.tokenizer.Gpt2BpeTokenizer;
import org.memsfl.tokenizer.Tokenizer;
import org.memsfl.util.BadInputException;

/**
 * The real chat templates of five instruct models render a two-turn conversation byte for byte as the reference does,
 * and the loss mask covers exactly the assistant turns.
 *
 * <p>Fixtures ({@code src/test/resources/chat/<model>/tokenizer_config.json}) hold each model's {@code chat_template}
 * string and special tokens as published on the Hub: Qwen2.5-Instruct, Llama-3.2-Instruct and Phi-3.5-mini-instruct
 * from llama.cpp's {@code models/templates/*.jinja} (copies it takes from the Hub's tokenizer_config.json),
 * SmolLM2-Instruct and Gemma-3-it from the template strings quoted in public code that loads those models.
 *
 * <p>How the expected strings were obtained: by hand, following each template's Jinja semantics under transformers'
 * environment (trim_blocks and lstrip_blocks on: a newline after a block tag is dropped, and {@code {%-}/{@code -%}}
 * strip whitespace on their side), statement by statement: which branch each message takes, what each
 * {@code {{ }}} writes, and where the special tokens go. No engine produced them. Llama 3.2 reads today's date through
 * {@code strftime_now("%d %b %Y")}; the clock here is fixed at 2026-11-29, so the date must read "29 Nov 2026" (not the
 * template's fallback "26 Jul 2024", which would mean strftime_now was not defined).
 */
class ChatTemplateTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);

    static final List<ChatMessage> WITH_SYSTEM = List.of(
            ChatMessage.system("You are terse."),
            ChatMessage.user("What is the capital of France?"),
            ChatMessage.assistant("Paris."),
            ChatMessage.user("And of Italy?"),
            ChatMessage.assistant("Rome."));
    static final List<ChatMessage> NO_SYSTEM = WITH_SYSTEM.subList(1, WITH_SYSTEM.size());

    /** model, conversation, expected rendering, expected assistant spans. */
    static List<Arguments> references() {
        List<Arguments> a = new ArrayList<>();
        a.add(Arguments.of("qwen2.5-instruct", WITH_SYSTEM,
                "<|im_start|>system\nYou are terse.<|im_end|>\n"
                        + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                        + "<|im_start|>assistant\nParis.<|im_end|>\n"
                        + "<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                        + "<|im_start|>assistant\nRome.<|im_end|>\n",
                List.of("Paris.<|im_end|>\n", "Rome.<|im_end|>\n")));
        a.add(Arguments.of("qwen2.5-instruct", NO_SYSTEM,
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                        + "<|im_start|>assistant\nParis.<|im_end|>\n"
                        + "<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                        + "<|im_start|>assistant\nRome.<|im_end|>\n",
                List.of("Paris.<|im_end|>\n", "Rome.<|im_end|>\n")));
        a.add(Arguments.of("llama-3.2-instruct", WITH_SYSTEM,
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 29 Nov 2026\n\n"
                        + "You are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nAnd of Italy?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nRome.<|eot_id|>",
                List.of("Paris.<|eot_id|>", "Rome.<|eot_id|>")));
        a.add(Arguments.of("llama-3.2-instruct", NO_SYSTEM,
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 29 Nov 2026\n\n<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nAnd of Italy?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nRome.<|eot_id|>",
                List.of("Paris.<|eot_id|>", "Rome.<|eot_id|>")));
        a.add(Arguments.of("smollm2-instruct", WITH_SYSTEM,
                "<|im_start|>system\nYou are terse.<|im_end|>\n"
                        + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                        + "<|im_start|>assistant\nParis.<|im_end|>\n"
                        + "<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                        + "<|im_start|>assistant\nRome.<|im_end|>\n",
                List.of("Paris.<|im_end|>\n", "Rome.<|im_end|>\n")));
        a.add(Arguments.of("smollm2-instruct", NO_SYSTEM,
                "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                        + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                        + "<|im_start|>assistant\nParis.<|im_end|>\n"
                        + "<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                        + "<|im_start|>assistant\nRome.<|im_end|>\n",
                List.of("Paris.<|im_end|>\n", "Rome.<|im_end|>\n")));
        a.add(Arguments.of("gemma-3-it", WITH_SYSTEM,
                "<bos><start_of_turn>user\nYou are terse.\n\nWhat is the capital of France?<end_of_turn>\n"
                        + "<start_of_turn>model\nParis.<end_of_turn>\n"
                        + "<start_of_turn>user\nAnd of Italy?<end_of_turn>\n"
                        + "<start_of_turn>model\nRome.<end_of_turn>\n",
                List.of("Paris.<end_of_turn>\n", "Rome.<end_of_turn>\n")));
        a.add(Arguments.of("gemma-3-it", NO_SYSTEM,
                "<bos><start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n"
                        + "<start_of_turn>model\nParis.<end_of_turn>\n"
                        + "<start_of_turn>user\nAnd of Italy?<end_of_turn>\n"
                        + "<start_of_turn>model\nRome.<end_of_turn>\n",
                List.of("Paris.<end_of_turn>\n", "Rome.<end_of_turn>\n")));
        a.add(Arguments.of("phi-3.5-mini-instruct", WITH_SYSTEM,
                "<|system|>\nYou are terse.<|end|>\n"
                        + "<|user|>\nWhat is the capital of France?<|end|>\n"
                        + "<|assistant|>\nParis.<|end|>\n"
                        + "<|user|>\nAnd of Italy?<|end|>\n"
                        + "<|assistant|>\nRome.<|end|>\n<|endoftext|>",
                List.of("Paris.<|end|>\n", "Rome.<|end|>\n<|endoftext|>")));
        a.add(Arguments.of("phi-3.5-mini-instruct", NO_SYSTEM,
                "<|user|>\nWhat is the capital of France?<|end|>\n"
                        + "<|assistant|>\nParis.<|end|>\n"
                        + "<|user|>\nAnd of Italy?<|end|>\n"
                        + "<|assistant|>\nRome.<|end|>\n<|endoftext|>",
                List.of("Paris.<|end|>\n", "Rome.<|end|>\n<|endoftext|>")));
        return a;
    }

    static ChatTemplate template(String model) {
        try {
            Path dir = Path.of(ChatTemplateTest.class.getResource("/chat/" + model + "/tokenizer_config.json").toURI())
                    .getParent();
            return ChatTemplate.fromModelDir(dir, null, CLOCK).orElseThrow();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0} {index}")
    @MethodSource("references")
    void rendersTheTwoTurnConversationByteForByte(String model, List<ChatMessage> conv, String expected,
            List<String> spans) {
        ChatTemplate t = template(model);

        assertThat(t.render(conv, false)).isEqualTo(expected);

        ChatTemplate.Rendered r = t.renderWithSpans(conv);
        assertThat(r.text()).isEqualTo(expected);
        assertThat(r.assistant()).extracting(s -> expected.substring(s.start(), s.end())).isEqualTo(spans);
    }

    @ParameterizedTest(name = "{0} {index}")
    @MethodSource("references")
    void theLossMaskCoversExactlyTheAssistantTokens(String model, List<ChatMessage> conv, String expected,
            List<String> spans) {
        // GPT-2's byte-level BPE from the shared assets: a real tokenizer whose decode inverts encode exactly
        Tokenizer gpt2 = Gpt2BpeTokenizer.load(Assets.path("models/gpt2-tokenizer"));
        ChatTokenization ct = new ChatTokenization(template(model), gpt2, 4096);

        ChatTokenization.Encoded e = ct.encode(conv);

        assertThat(gpt2.decode(e.ids())).isEqualTo(expected);
        // each maximal run of assistant ids decodes to one expected span, in order, and nothing else is marked
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < e.ids().length; ) {
            if (!e.assistant()[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j < e.ids().length && e.assistant()[j]) {
                j++;
            }
            runs.add(gpt2.decode(java.util.Arrays.copyOfRange(e.ids(), i, j)));
            i = j;
        }
        assertThat(runs).isEqualTo(spans);

        TokenizedExample ex = ct.apply(conv, "k");
        int targets = 0;
        for (int t = 0; t < ex.length(); t++) {
            if (ex.targets()[t] != Tokenization.IGNORE) {
                assertThat(e.assistant()[t + 1]).isTrue();
                assertThat(ex.targets()[t]).isEqualTo(e.ids()[t + 1]);
                targets++;
            }
        }
        assertThat(targets).isEqualTo(e.assistantCount());
    }

    @Test
    void raiseExceptionInATemplateIsOneLineOfBadInput() {
        List<ChatMessage> twoUsers = List.of(ChatMessage.user("a"), ChatMessage.user("b"));
        assertThatThrownBy(() -> template("gemma-3-it").render(twoUsers, false))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void loopControlsAndTheGenerationPromptWork() {
        ChatTemplate t = new ChatTemplate("inline", "{% for m in messages %}{% if loop.index > 1 %}{% break %}{% endif %}"
                + "{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}",
                Map.of(), java.util.Set.of(), CLOCK);
        assertThat(t.render(NO_SYSTEM, true)).isEqualTo("What is the capital of France?>");
        assertThat(template("qwen2.5-instruct").render(NO_SYSTEM.subList(0, 1), true))
                .endsWith("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n");
    }
}
