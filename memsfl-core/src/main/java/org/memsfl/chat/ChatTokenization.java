package org.memsfl.chat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.memsfl.data.Tokenization;
import org.memsfl.data.TokenizedExample;
import org.memsfl.tokenizer.Tokenizer;

/**
 * A conversation rendered through its chat template, as ids with the loss on the assistant's turns only.
 *
 * <p>The rendered text already holds every special token the template writes ({@code <|im_start|>}, BOS where the
 * template puts it), so nothing is added around it. The text is cut at the assistant spans of
 * {@link ChatTemplate#renderWithSpans} and each piece is encoded on its own; the pieces meet at turn boundaries,
 * where a tokenizer with the template's special tokens splits anyway. An id is a loss target when it comes from an
 * assistant span.
 */
public final class ChatTokenization {

    /** Ids of a rendered conversation and which of them are assistant tokens. */
    public record Encoded(String text, int[] ids, boolean[] assistant) {
        /** Number of assistant ids. */
        public int assistantCount() {
            int n = 0;
            for (boolean b : assistant) {
                n += b ? 1 : 0;
            }
            return n;
        }
    }

    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final int maxSeqLen;

    public ChatTokenization(ChatTemplate template, Tokenizer tokenizer, int maxSeqLen) {
        this.template = Objects.requireNonNull(template, "template must not be null");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer must not be null");
        if (maxSeqLen <= 0) {
            throw new IllegalArgumentException("maxSeqLen must be > 0, got " + maxSeqLen);
        }
        this.maxSeqLen = maxSeqLen;
    }

    public ChatTemplate template() {
        return template;
    }

    /** The whole conversation's ids and assistant mask, untruncated. */
    public Encoded encode(List<ChatMessage> messages) {
        ChatTemplate.Rendered r = template.renderWithSpans(messages);
        List<int[]> pieces = new ArrayList<>();
        List<Boolean> flags = new ArrayList<>();
        int at = 0;
        for (Span s : r.assistant()) {
            add(r.text().substring(at, s.start()), false, pieces, flags);
            add(r.text().substring(s.start(), s.end()), true, pieces, flags);
            at = s.end();
        }
        add(r.text().substring(at), false, pieces, flags);
        int total = pieces.stream().mapToInt(p -> p.length).sum();
        int[] ids = new int[total];
        boolean[] mask = new boolean[total];
        int k = 0;
        for (int i = 0; i < pieces.size(); i++) {
            int[] p = pieces.get(i);
            System.arraycopy(p, 0, ids, k, p.length);
            Arrays.fill(mask, k, k + p.length, flags.get(i));
            k += p.length;
        }
        return new Encoded(r.text(), ids, mask);
    }

    /**
     * Training form (see {@link TokenizedExample}): {@code inputs = ids[0..L-2]}, {@code targets[t] = ids[t+1]} where
     * id t+1 is an assistant id, else {@link Tokenization#IGNORE}; cut to {@code maxSeqLen + 1} ids.
     */
    public TokenizedExample apply(List<ChatMessage> messages, String clientKey) {
        Encoded e = encode(messages);
        int length = Math.min(e.ids().length, maxSeqLen + 1);
        int n = Math.max(0, length - 1);
        int[] inputs = Arrays.copyOf(e.ids(), n);
        int[] targets = new int[n];
        for (int t = 0; t < n; t++) {
            targets[t] = e.assistant()[t + 1] ? e.ids()[t + 1] : Tokenization.IGNORE;
        }
        return new TokenizedExample(inputs, targets, clientKey);
    }

    private void add(String text, boolean assistant, List<int[]> pieces, List<Boolean> flags) {
        if (!text.isEmpty()) {
            pieces.add(tokenizer.encode(text));
            flags.add(assistant);
        }
    }
}
