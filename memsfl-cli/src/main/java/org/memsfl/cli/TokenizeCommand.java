package org.memsfl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.memsfl.chat.ChatMessage;
import org.memsfl.chat.ChatTemplate;
import org.memsfl.chat.ChatTokenization;
import org.memsfl.data.Example;
import org.memsfl.data.Tokenization;
import org.memsfl.data.TokenizedExample;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import org.memsfl.tokenizer.Tokenizer;
import org.memsfl.tokenizer.Tokenizers;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Shows exactly what the model is trained on: the rendered text, its ids, and which ids carry the loss. */
@Command(name = "tokenize", description = "Print the rendered text, the token ids and which ids are loss targets.")
public final class TokenizeCommand implements Callable<Integer> {

    static final class Input {
        @Option(names = "--text", required = true, description = "Plain text (loss on every token), or with a chat"
                + " template one user turn followed by the generation prompt (no loss).")
        String text;

        @Option(names = "--messages", required = true, description = "A JSON file: [{\"role\": ..., \"content\": ...}, ...]"
                + " or {\"messages\": [...]}; loss on the assistant turns.")
        Path messages;
    }

    @Mixin
    ModelOptions modelOptions;
    @Mixin
    TemplateOption templateOption;
    @Mixin
    CommonOptions common;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Override
    public Integer call() {
        List<ChatMessage> messages = input.messages != null ? readMessages(input.messages) : null;
        ModelResolver resolver = ModelResolver.fromEnvironment();
        Optional<Path> dir = resolver.directory(modelOptions.model);
        String modelId = modelOptions.model;
        Tokenizer tok;
        if (dir.isPresent()) {
            tok = Tokenizers.load(dir.get());
        } else {
            try (LoadedModel loaded = modelOptions.load()) {
                tok = loaded.tokenizer();
                modelId = loaded.id();
            }
        }
        if (tok == null) {
            throw new BadInputException("model " + modelId + " has no tokenizer");
        }
        Optional<ChatTemplate> template = templateOption.resolve(modelOptions.model, modelId);
        String text;
        int[] ids;
        boolean[] loss;
        if (messages != null || template.isPresent()) {
            ChatTemplate t = template.orElseThrow(() -> new BadInputException("--messages needs a chat template and"
                    + " model " + modelOptions.model + " has none; pass --template <file.jinja>"));
            if (messages != null) {
                ChatTokenization.Encoded e = new ChatTokenization(t, tok, Integer.MAX_VALUE).encode(messages);
                text = e.text();
                ids = e.ids();
                loss = e.assistant();
            } else {
                text = t.render(List.of(ChatMessage.user(input.text)), true);
                ids = tok.encode(text);
                loss = new boolean[ids.length];
            }
        } else {
            TokenizedExample ex = new Tokenization(tok, Integer.MAX_VALUE - 1).apply(Example.text(input.text));
            text = input.text;
            ids = new int[ex.length() + 1];
            loss = new boolean[ids.length];
            System.arraycopy(ex.inputs(), 0, ids, 0, ex.length());
            if (ex.length() > 0) {
                ids[ex.length()] = ex.targets()[ex.length() - 1];
            }
            for (int t = 0; t < ex.length(); t++) {
                loss[t + 1] = ex.targets()[t] != Tokenization.IGNORE;
            }
        }
        print(modelId, template, text, ids, loss, tok);
        return Main.EXIT_OK;
    }

    private void print(String modelId, Optional<ChatTemplate> template, String text, int[] ids, boolean[] loss,
            Tokenizer tok) {
        List<String> pieces = new ArrayList<>(ids.length);
        int targets = 0;
        for (int i = 0; i < ids.length; i++) {
            pieces.add(tok.decode(new int[] {ids[i]}));
            targets += loss[i] ? 1 : 0;
        }
        if (common.json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", modelId);
            j.put("template", template.map(ChatTemplate::name).orElse("plain"));
            j.put("text", text);
            j.put("ids", ids);
            j.put("loss", loss);
            j.put("pieces", pieces);
            j.put("loss_tokens", targets);
            System.out.println(Json.pretty(j));
            return;
        }
        System.out.println("template: " + template.map(ChatTemplate::name).orElse("plain"));
        System.out.println("text:");
        System.out.println(text);
        System.out.printf("%d ids, %d loss targets (marked *):%n", ids.length, targets);
        for (int i = 0; i < ids.length; i++) {
            System.out.printf("%6d %s %8d  %s%n", i, loss[i] ? "*" : " ", ids[i], Json.compact(pieces.get(i)));
        }
    }

    static List<ChatMessage> readMessages(Path f) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(org.memsfl.util.TextFiles.readString(f));
        } catch (IOException e) {
            throw new BadInputException(f + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        JsonNode arr = root.isObject() ? root.path("messages") : root;
        if (!arr.isArray() || arr.isEmpty()) {
            throw new BadInputException(f + ": expected a non-empty JSON array of {\"role\", \"content\"} (or"
                    + " {\"messages\": [...]})");
        }
        List<ChatMessage> out = new ArrayList<>();
        int i = 0;
        for (JsonNode m : arr) {
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new BadInputException(f + ": message " + i + " needs string fields \"role\" and \"content\"");
            }
            out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
            i++;
        }
        return out;
    }
}
