package org.memsfl.cli;

import java.util.Optional;
import org.memsfl.chat.ChatTemplate;
import org.memsfl.chat.TemplateChoice;
import picocli.CommandLine.Option;

/** {@code --template auto|chat|plain|<name>|<file.jinja>}: how examples become prompts (see {@link TemplateChoice}). */
public final class TemplateOption {

    @Option(names = "--template", defaultValue = TemplateChoice.AUTO,
            description = "Prompt format: auto (the model's chat_template if it has one, else plain), chat, plain"
                    + " (### Instruction: ...), a named template of the model, or a .jinja file (default: ${DEFAULT-VALUE}).")
    String template;

    /** The chat template for {@code modelSpec}, or empty for the plain templates. */
    Optional<ChatTemplate> resolve(String modelSpec, String modelId) {
        return new TemplateChoice(template).resolveFor(modelSpec, modelId);
    }
}
