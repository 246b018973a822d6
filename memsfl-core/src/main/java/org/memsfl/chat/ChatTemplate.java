package org.memsfl.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.memsfl.util.BadInputException;

/**
 * A model's Jinja chat template with the special tokens it refers to, rendered as transformers'
 * {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=...)} renders it: the template sees
 * {@code messages} (a list of {role, content} mappings), {@code add_generation_prompt}, the special tokens
 * ({@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token}) and any extra variables.
 */
public final class ChatTemplate {

    /** A rendering with the character span of every assistant turn. */
    public record Rendered(String text, List<Span> assistant) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JinjaEngine DEFAULT_ENGINE = new JinjaEngine(Clock.systemDefaultZone());

    private final String name;
    private final String source;
    private final Map<String, String> specialTokens;
    private final Set<String> specialStrings;
    private final JinjaEngine engine;

    /**
     * @param name          for messages (the model directory or file it came from)
     * @param source        the Jinja source
     * @param specialTokens e.g. {@code bos_token -> <s>}; entries with null values are left out
     * @param addedSpecial  further special token strings (added tokens marked special), which a span never splits
     * @param clock         what {@code strftime_now} reads
     */
    public ChatTemplate(String name, String source, Map<String, String> specialTokens, Set<String> addedSpecial,
            Clock clock) {
        if (source == null || source.isBlank()) {
            throw new BadInputException("chat template " + name + " is empty");
        }
        this.name = name;
        this.source = source;
        this.specialTokens = new LinkedHashMap<>();
        specialTokens.forEach((k, v) -> {
            if (v != null) {
                this.specialTokens.put(k, v);
            }
        });
        this.specialStrings = new LinkedHashSet<>(this.specialTokens.values());
        this.specialStrings.addAll(addedSpecial);
        this.specialStrings.removeIf(String::isEmpty);
        this.engine = clock == null ? DEFAULT_ENGINE : new JinjaEngine(clock);
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    public Map<String, String> specialTokens() {
        return Map.copyOf(specialTokens);
    }

    /**
     * The template a model directory ships: {@code chat_template.jinja}, else {@code tokenizer_config.json}'s
     * {@code chat_template} (a string, or a list of {name, template} from which {@code which} or {@code default} is
     * taken), else {@code chat_template.json}. Empty when the model has none.
     *
     * @param which a named template, or null for the default one
     */
    public static Optional<ChatTemplate> fromModelDir(Path dir, String which, Clock clock) {
        JsonNode config = readJson(dir.resolve("tokenizer_config.json"));
        Map<String, String> special = new LinkedHashMap<>();
        Set<String> added = new LinkedHashSet<>();
        if (config != null) {
            for (String k : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
                special.put(k, tokenText(config.get(k)));
            }
            config.path("added_tokens_decoder").forEach(t -> {
                if (t.path("special").asBoolean(false) && t.hasNonNull("content")) {
                    added.add(t.get("content").asText());
                }
            });
        }
        Path jinja = dir.resolve("chat_template.jinja");
        String source = null;
        String origin = null;
        if (which == null && Files.isRegularFile(jinja)) {
            source = readString(jinja);
            origin = jinja.toString();
        } else if (config != null && config.has("chat_template")) {
            source = pick(config.get("chat_template"), which, dir.resolve("tokenizer_config.json"));
            origin = dir.resolve("tokenizer_config.json") + (which == null ? "" : " (" + which + ")");
        } else {
            JsonNode ct = readJson(dir.resolve("chat_template.json"));
            if (ct != null && ct.has("chat_template")) {
                source = pick(ct.get("chat_template"), which, dir.resolve("chat_template.json"));
                origin = dir.resolve("chat_template.json").toString();
            }
        }
        if (source == null && which != null) {
            throw new BadInputException("model " + dir + " has no chat template named '" + which + "'");
        }
        return source == null ? Optional.empty()
                : Optional.of(new ChatTemplate(origin, source, special, added, clock));
    }

    /** The rendered conversation. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** The rendered conversation, with extra template variables (as apply_chat_template's **kwargs). */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
        Map<String, Object> ctx = new LinkedHashMap<>(extra);
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            msgs.add(m.asMap());
        }
        ctx.put("messages", msgs);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.putAll(specialTokens);
        return engine.render(name, source, ctx);
    }

    /**
     * Renders the whole conversation and finds each assistant turn in it. An assistant turn's span starts where the
     * generation prompt before it ends (the rendering of the turns before it with {@code add_generation_prompt=True}
     * is a prefix of the whole) and ends where the rendering of the conversation up to and including it stops
     * agreeing with the whole (so it takes the template's end-of-turn text, e.g. {@code <|im_end|>\n}); the last
     * turn runs to the end of the text (taking a closing {@code eos_token} a template may append). A boundary never
     * falls inside a special token: where two renderings share only the start of one ({@code <|end|>} against
     * {@code <|user|>}), it moves back to the token's start.
     *
     * @throws BadInputException when an assistant turn comes first (no prompt to condition on)
     */
    public Rendered renderWithSpans(List<ChatMessage> messages) {
        String full = render(messages, false);
        List<Span> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).isAssistant()) {
                continue;
            }
            if (i == 0) {
                throw new BadInputException("conversation starts with an assistant turn; expected a user turn first");
            }
            String prompt = render(messages.subList(0, i), true);
            int start = boundary(prompt, full);
            int end = full.length();
            if (i + 1 < messages.size()) {
                end = boundary(render(messages.subList(0, i + 1), false), full);
            }
            if (end < start) {
                throw new BadInputException("chat template " + name + " renders assistant turn " + i
                        + " in a way that its span cannot be found (start " + start + ", end " + end + ")");
            }
            spans.add(new Span(start, end));
        }
        return new Rendered(full, spans);
    }

    /** The length of the common prefix of {@code part} and {@code full}, moved back out of any special token. */
    private int boundary(String part, String full) {
        int n = Math.min(part.length(), full.length());
        int p = 0;
        while (p < n && part.charAt(p) == full.charAt(p)) {
            p++;
        }
        boolean moved = true;
        while (moved) {
            moved = false;
            for (String tok : specialStrings) {
                int s = Math.max(straddle(part, tok, p), straddle(full, tok, p));
                if (s >= 0 && s < p) {
                    p = s;
                    moved = true;
                }
            }
        }
        return p;
    }

    /** Start of an occurrence of {@code tok} in {@code text} with start < p < end, or -1. */
    private static int straddle(String text, String tok, int p) {
        for (int s = Math.max(0, p - tok.length() + 1); s < p; s++) {
            if (text.startsWith(tok, s) && s + tok.length() > p) {
                return s;
            }
        }
        return -1;
    }

    private static String pick(JsonNode node, String which, Path file) {
        if (node.isTextual()) {
            if (which != null && !"default".equals(which)) {
                throw new BadInputException(file + " has one unnamed chat_template; there is no template '" + which + "'");
            }
            return node.asText();
        }
        if (node.isArray()) {
            String want = which == null ? "default" : which;
            List<String> names = new ArrayList<>();
            for (JsonNode t : node) {
                String n = t.path("name").asText();
                names.add(n);
                if (want.equals(n)) {
                    return t.path("template").asText();
                }
            }
            throw new BadInputException(file + " has chat templates " + names + " but none named '" + want + "'");
        }
        throw new BadInputException(file + ": chat_template must be a string or a list of {name, template}, got "
                + node.getNodeType());
    }

    /** A special token in tokenizer_config.json: a string, or an AddedToken object with "content". */
    private static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        return n.isTextual() ? n.asText() : n.path("content").asText(null);
    }

    private static JsonNode readJson(Path f) {
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return JSON.readTree(readString(f));
        } catch (IOException e) {
            throw new BadInputException(f + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    private static String readString(Path f) {
        try {
            String s = Files.readString(f, StandardCharsets.UTF_8);
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (IOException e) {
            throw new BadInputException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
