package org.memsfl.chat;

import java.util.ArrayList;
import java.util.List;
import org.memsfl.data.Example;
import org.memsfl.data.Tokenization;
import org.memsfl.data.TokenizedExample;
import org.memsfl.tokenizer.Tokenizer;

/**
 * Turns examples into training sequences through the chosen template: with a chat template an instruction example
 * becomes the conversation [user: instruction, assistant: response] (loss on the assistant turn,
 * {@link ChatTokenization}); without one, or for plain text (empty prompt), the plain {@link Tokenization}.
 */
public final class PromptEncoder {

    private final Tokenization plain;
    private final ChatTokenization chat;

    /** @param template the chat template, or null for the plain templates */
    public PromptEncoder(Tokenizer tokenizer, int maxSeqLen, ChatTemplate template) {
        this.plain = new Tokenization(tokenizer, maxSeqLen);
        this.chat = template == null ? null : new ChatTokenization(template, tokenizer, maxSeqLen);
    }

    public boolean usesChatTemplate() {
        return chat != null;
    }

    public TokenizedExample apply(Example e) {
        if (chat == null || e.prompt().isEmpty()) {
            return plain.apply(e);
        }
        return chat.apply(List.of(ChatMessage.user(e.instruction()), ChatMessage.assistant(e.response())), e.clientKey());
    }

    /** Every example, dropping those left without a target. */
    public List<TokenizedExample> applyAll(List<Example> examples) {
        List<TokenizedExample> out = new ArrayList<>(examples.size());
        for (Example e : examples) {
            TokenizedExample t = apply(e);
            if (t.numTargets() > 0) {
                out.add(t);
            }
        }
        return out;
    }
}
