package org.memsfl.chat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Setting;

/**
 * What {@code --template} asks for: {@code auto} (the model's chat template when it has one, else the plain
 * prompt/response templates), {@code chat} (the model's chat template; an error when it has none), {@code plain}
 * (today's templates, e.g. Dolly's "### Instruction:"), a named template of the model (tokenizer_config.json may list
 * several, e.g. {@code tool_use}) or a path to a {@code .jinja} file.
 *
 * @param value the option's text
 */
public record TemplateChoice(String value) {

    public static final String AUTO = "auto";
    public static final String CHAT = "chat";
    public static final String PLAIN = "plain";

    public TemplateChoice {
        if (value == null || value.isBlank()) {
            throw new BadInputException(n -> n.of(Setting.TEMPLATE) + " is empty; expected auto, chat, plain, a template"
                    + " name or a .jinja file");
        }
        value = value.strip();
    }

    /**
     * The chat template for a model named as every command names it ({@link org.memsfl.model.ModelResolver} spec),
     * or empty for the plain templates: the one resolution of {@code --template} in finetune, eval, generate,
     * simulate, compare, server and device.
     */
    public Optional<ChatTemplate> resolveFor(String modelSpec, String modelId) {
        if (PLAIN.equals(value)) {
            return Optional.empty();
        }
        return resolve(org.memsfl.model.ModelResolver.fromEnvironment().directory(modelSpec).orElse(null), modelId);
    }

    /**
     * The chat template to format examples with, or empty for the plain templates.
     *
     * @param modelDir the model's Hugging Face directory, or null (llama2.c and random models have no template)
     * @param modelId  for messages
     */
    public Optional<ChatTemplate> resolve(Path modelDir, String modelId) {
        switch (value) {
            case PLAIN:
                return Optional.empty();
            case AUTO:
                return modelDir == null ? Optional.empty() : ChatTemplate.fromModelDir(modelDir, null, null);
            case CHAT: {
                Optional<ChatTemplate> t = modelDir == null ? Optional.empty()
                        : ChatTemplate.fromModelDir(modelDir, null, null);
                if (t.isEmpty()) {
                    throw new BadInputException(n -> n.of(Setting.TEMPLATE) + " chat: model " + modelId + " has no"
                            + " chat_template (in tokenizer_config.json or chat_template.jinja); use "
                            + n.of(Setting.TEMPLATE) + " plain or a .jinja file");
                }
                return t;
            }
            default:
                if (isFile(value)) {
                    Path f = Path.of(value);
                    if (!Files.isRegularFile(f)) {
                        throw new BadInputException(n -> n.of(Setting.TEMPLATE) + " " + value + ": no such file");
                    }
                    Map<String, String> special = modelDir == null ? Map.of()
                            : ChatTemplate.fromModelDir(modelDir, null, null).map(ChatTemplate::specialTokens)
                                    .orElse(Map.of());
                    try {
                        String src = Files.readString(f);
                        return Optional.of(new ChatTemplate(f.toString(), src.startsWith("\uFEFF") ? src.substring(1) : src,
                                special, Set.of(), (Clock) null));
                    } catch (java.io.IOException e) {
                        throw new BadInputException(n -> "cannot read " + n.of(Setting.TEMPLATE) + " " + f + ": " + e.getMessage(), e);
                    }
                }
                if (modelDir == null) {
                    throw new BadInputException(n -> n.of(Setting.TEMPLATE) + " " + value + ": model " + modelId + " has no"
                            + " named chat templates; expected auto, chat, plain or a .jinja file");
                }
                return ChatTemplate.fromModelDir(modelDir, value, null);
        }
    }

    /**
     * Whether a {@code --template} value names a file rather than one of a model's named templates: it ends in
     * {@code .jinja} or holds a path separator. A named template is a key of {@code tokenizer_config.json}'s
     * {@code chat_template} list ({@code default}, {@code tool_use}, {@code rag}), never a path.
     */
    static boolean isFile(String value) {
        return value.endsWith(".jinja") || value.indexOf('/') >= 0 || value.indexOf(java.io.File.separatorChar) >= 0;
    }
}
