package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.model.Assets;
import org.memsfl.tokenizer.Tokenizers;
import org.slf4j.LoggerFactory;

/** {@code memsfl tokenize} shows the rendered text, the ids and the loss targets; logging has one quiet binding. */
class TokenizeCommandTest {

    @TempDir
    Path dir;

    @Test
    void messagesThroughAChatTemplateMarkExactlyTheAssistantTokens() throws Exception {
        Path model = Assets.path("models/tiny-gpt2-random");
        Path jinja = Files.writeString(dir.resolve("t.jinja"), "{% for m in messages %}"
                + "{{ '<' + m['role'] + '>' + m['content'] + '</s>' }}{% endfor %}"
                + "{% if add_generation_prompt %}<assistant>{% endif %}");
        Path msgs = Files.writeString(dir.resolve("m.json"), "\uFEFF[{\"role\":\"user\",\"content\":\"ab\"},"
                + "{\"role\":\"assistant\",\"content\":\"ba\"}]");

        Cli.Result r = Cli.run("tokenize", "--model", model.toString(), "--messages", msgs.toString(),
                "--template", jinja.toString(), "--json");

        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("text").asText()).isEqualTo("<user>ab</s><assistant>ba</s>");
        var tok = Tokenizers.load(model);
        // pieces are encoded on their own: the prompt up to the generation prompt, then the assistant turn
        int prompt = tok.encode("<user>ab</s><assistant>").length;
        int answer = tok.encode("ba</s>").length;
        assertThat(j.get("ids")).hasSize(prompt + answer);
        for (int i = 0; i < prompt + answer; i++) {
            assertThat(j.get("loss").get(i).asBoolean()).as("id " + i).isEqualTo(i >= prompt);
        }
        assertThat(j.get("loss_tokens").asInt()).isEqualTo(answer);
    }

    @Test
    void plainTextHasALossOnEveryTokenAfterBos() {
        Cli.Result r = Cli.run("tokenize", "--model", "stories260K", "--text", "Once upon a time");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("template: plain").contains("Once upon a time")
                .containsPattern("\\d+ ids, \\d+ loss targets");
    }

    @Test
    void messagesWithoutATemplateIsOneLineOfBadInput() throws Exception {
        Path msgs = Files.writeString(dir.resolve("m.json"), "[{\"role\":\"user\",\"content\":\"x\"}]");
        Cli.Result r = Cli.run("tokenize", "--model", "stories260K", "--messages", msgs.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).contains("needs a chat template").doesNotContain("\tat ");
    }

    @Test
    void slf4jHasOneDeliberateQuietBinding() {
        Cli.run("tokenize", "--model", "stories260K", "--text", "x");
        // slf4j-simple, not the no-op fallback that printed "No SLF4J providers were found" three times
        assertThat(LoggerFactory.getILoggerFactory().getClass().getName()).isEqualTo("org.slf4j.simple.SimpleLoggerFactory");
        assertThat(LoggerFactory.getLogger("ai.djl.huggingface").isInfoEnabled()).isFalse();
        assertThat(LoggerFactory.getLogger("ai.djl.huggingface").isWarnEnabled()).isTrue();
    }
}
