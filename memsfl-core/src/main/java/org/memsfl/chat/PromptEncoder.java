package org.memsfl.chat;

import java.util.List;
import org.memsfl.data.Example;
import org.memsfl.data.ExampleEncoder;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.data.Tokenization;
import org.memsfl.data.TokenizedExample;
import org.memsfl.tokenizer.Tokenizer;

/**
 * Turns examples into training sequences through the chosen template: with a chat template an instruction example
 * becomes the conversation [user: instruction, assistant: response] (loss on the assistant turn,
 * {@link ChatTokenization}); without one, or for plain text (empty prompt), the plain {@link Tokenization}. For
 * generation a held-out prompt becomes [user: instruction] rendered with the template's generation prompt (the
 * assistant header), exactly the text that precedes the answer in training.
 */
public final class PromptEncoder implements ExampleEncoder {

    private final Tokenization plain;
    private final ChatTokenization chat;
    private final Tokenizer tokenizer;

    /** @param template the chat template, or null for the plain templates */
    public PromptEncoder(Tokenizer tokenizer, int maxSeqLen, ChatTemplate template) {
        this.plain = new Tokenization(tokenizer, maxSeqLen);
        this.tokenizer = tokenizer;
        this.chat = template == null ? null : new ChatTokenization(template, tokenizer, maxSeqLen);
    }

    public boolean usesChatTemplate() {
        return chat != null;
    }

    /** The chat template in use, or null for the plain templates. */
    public ChatTemplate template() {
        return chat == null ? null : chat.template();
    }

    @Override
    public TokenizedExample apply(Example e) {
        if (chat == null || e.prompt().isEmpty()) {
            return plain.apply(e);
        }
        return chat.apply(List.of(ChatMessage.user(e.instruction()), ChatMessage.assistant(e.response())), e.clientKey());
    }

    @Override
    public int[] promptIds(HeldOutPrompt p) {
        if (chat == null) {
            return plain.promptIds(p);
        }
        return tokenizer.encode(promptText(p));
    }

    @Override
    public String promptText(HeldOutPrompt p) {
        if (chat == null) {
            return plain.promptText(p);
        }
        return chat.template().render(List.of(ChatMessage.user(p.instruction())), true);
    }
}
