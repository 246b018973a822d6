package org.memsfl.data;

import java.util.ArrayList;
import java.util.List;

/**
 * How a run turns examples into token ids, the same for training, held-out loss and generation: the plain
 * prompt/response templates ({@link Tokenization}) or a model's chat template ({@code org.memsfl.chat.PromptEncoder}).
 * Every command that builds prompts takes one, so {@code --template} renders alike everywhere.
 */
public interface ExampleEncoder {

    /** Training form of one example; may have no targets when the prompt fills the window. */
    TokenizedExample apply(Example e);

    /**
     * The ids a model continues to answer {@code p} (generation), without truncation: [BOS] + tokens(prompt) with
     * the plain templates, the rendered user turn plus the assistant header with a chat template.
     */
    int[] promptIds(HeldOutPrompt p);

    /**
     * The text the model is fed for {@code p} before its answer, as {@code predictions.jsonl} records it: the plain
     * prompt, or the rendered chat turn with a chat template (so a reader sees exactly what the model saw).
     */
    default String promptText(HeldOutPrompt p) {
        return p.prompt();
    }

    /** Every example, dropping those left without any target, which would only dilute a batch. */
    default List<TokenizedExample> applyAll(List<Example> examples) {
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
