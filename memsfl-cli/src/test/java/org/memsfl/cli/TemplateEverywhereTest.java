package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.chat.ChatMessage;
import org.memsfl.chat.ChatTokenization;
import org.memsfl.chat.TemplateChoice;
import org.memsfl.model.Assets;
import org.memsfl.tokenizer.Tokenizer;
import org.memsfl.tokenizer.Tokenizers;

/**
 * {@code --template} on every command that builds prompts, rendering alike: generate feeds the user turn and the
 * generation prompt, eval scores held-out examples with the loss on the assistant turn only (as finetune trains),
 * and simulate, compare, server and device resolve the same choice (a model without a chat template refuses
 * {@code chat} in one line before anything is written).
 */
class TemplateEverywhereTest {

    static final String JINJA = "{% for m in messages %}{{ '<' + m['role'] + '>' + m['content'] + '</s>' }}{% endfor %}"
            + "{% if add_generation_prompt %}<assistant>{% endif %}";

    @TempDir
    Path dir;

    @Test
    void everyCommandThatBuildsPromptsTakesTemplate() {
        for (String c : List.of("finetune", "tokenize", "eval", "generate", "simulate", "compare", "server",
                "device")) {
            Cli.Result r = Cli.run(c, "--help");
            assertThat(r.out()).as(c).contains("--template");
        }
    }

    @Test
    void generateFeedsTheUserTurnAndTheGenerationPrompt() throws Exception {
        Path model = Assets.path("models/tiny-gpt2-random");
        Path jinja = Files.writeString(dir.resolve("t.jinja"), JINJA);

        Cli.Result r = Cli.run("generate", "--model", model.toString(), "--prompt", "ab", "--template", jinja.toString(),
                "--max-tokens", "2", "--json");

        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        int[] expected = Tokenizers.load(model).encode("<user>ab</s><assistant>");
        List<Integer> got = new ArrayList<>();
        j.get("prompt_ids").forEach(x -> got.add(x.asInt()));
        assertThat(got).containsExactlyElementsOf(java.util.Arrays.stream(expected).boxed().toList());
        assertThat(j.get("template").asText()).isEqualTo(jinja.toString());
    }

    /** eval --template scores the held-out examples as finetune --template trains on them: assistant tokens only. */
    @Test
    void evalScoresOnlyTheAssistantTurnsUnderATemplate() throws Exception {
        Path model = Assets.path("models/tiny-gpt2-random");
        Path jinja = Files.writeString(dir.resolve("t.jinja"), JINJA);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            sb.append("{\"prompt\": \"q").append(i).append("\", \"response\": \"answer ").append(i).append("\"}\n");
        }
        Path data = Files.writeString(dir.resolve("d.jsonl"), sb.toString());

        Cli.Result chat = Cli.run("eval", "--model", model.toString(), "--data", data.toString(), "--eval-examples", "4",
                "--template", jinja.toString(), "--json");
        Cli.Result plain = Cli.run("eval", "--model", model.toString(), "--data", data.toString(), "--eval-examples", "4",
                "--template", "plain", "--json");

        assertThat(chat.exitCode()).as(chat.err()).isZero();
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        long chatTokens = new ObjectMapper().readTree(chat.out()).get("tokens").asLong();
        // the oracle: the same examples through ChatTokenization, counting assistant ids after the first
        Tokenizer tok = Tokenizers.load(model);
        ChatTokenization ct = new ChatTokenization(new TemplateChoice(jinja.toString()).resolve(null, "tiny").orElseThrow(),
                tok, 1024);
        var heldOut = org.memsfl.data.DataResolver.resolve(data.toString()).eval().subList(0, 4);
        long expected = 0;
        for (var e : heldOut) {
            expected += ct.apply(List.of(ChatMessage.user(e.instruction()), ChatMessage.assistant(e.response())), "")
                    .numTargets();
        }
        assertThat(chatTokens).isEqualTo(expected);
        assertThat(new ObjectMapper().readTree(plain.out()).get("tokens").asLong()).isNotEqualTo(expected);
    }

    /** predictions.jsonl records what the model was fed: the rendered user turn and generation prompt. */
    @Test
    void predictionsRecordTheRenderedPromptUnderATemplate() throws Exception {
        Path model = Assets.path("models/tiny-gpt2-random");
        Path jinja = Files.writeString(dir.resolve("t.jinja"), JINJA);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("{\"prompt\": \"q").append(i).append("\", \"response\": \"answer ").append(i).append("\"}\n");
        }
        Path data = Files.writeString(dir.resolve("d.jsonl"), sb.toString());
        Path out = dir.resolve("gen");

        Cli.Result r = Cli.run("eval", "--model", model.toString(), "--data", data.toString(), "--generate",
                "--gen-examples", "2", "--max-new-tokens", "2", "--template", jinja.toString(), "--out", out.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(out.resolve("predictions.jsonl"));
        assertThat(lines).hasSize(2);
        for (String line : lines) {
            String prompt = new ObjectMapper().readTree(line).get("prompt").asText();
            assertThat(prompt).matches("<user>q\\d+</s><assistant>");
        }
    }

    @Test
    void simulateAndServerResolveTheSameChoiceBeforeWriting() {
        Path sim = dir.resolve("sim");
        Cli.Result r = Cli.run("simulate", "--model", "stories260K", "--data", "dolly", "--rounds", "1",
                "--template", "chat", "--out", sim.toString());
        RoughEdgesTest.oneLineBadInput(r, "has no chat_template");
        assertThat(sim).doesNotExist();

        Path server = dir.resolve("server");
        Cli.Result s = Cli.run("server", "--port", "0", "--fleet-size", "1", "--rounds", "1", "--insecure",
                "--template", "chat", "--out", server.toString());
        RoughEdgesTest.oneLineBadInput(s, "has no chat_template");
        assertThat(server.resolve("manifest.json")).doesNotExist();
    }
}
