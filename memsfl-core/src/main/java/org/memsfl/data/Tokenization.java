package org.memsfl.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.memsfl.tokenizer.Tokenizer;

/**
 * Tokenises examples for causal LM fine-tuning with loss on the response only.
 *
 * <p>The full sequence is {@code ids = [BOS] + tokens(prompt + response) + [EOS]}: BOS where the checkpoint's
 * tokenizer adds one ({@link Tokenizer#addsBos()}: Llama-2/3 yes, GPT-2 and Qwen2.5 no), EOS wherever the tokenizer
 * has one, so that a fine-tuned model learns to stop after its response. Cut to {@code maxSeqLen + 1} ids so that the model sees at most {@code maxSeqLen} inputs. The
 * result is stored shifted: {@code inputs = ids[0 .. L-2]} and {@code targets[t] = ids[t+1]} when ids[t+1] belongs to
 * the response (EOS included), else {@link #IGNORE}. With an empty prompt every token after BOS is a target.
 *
 * <p>Prompt and response are tokenised together, not separately, because tokenizers treat the start of a text
 * specially (llama2.c adds a dummy-prefix space) and merges may cross the boundary. The prompt part is the longest
 * common prefix of tokens(prompt) and tokens(prompt + response); a token straddling the boundary counts as
 * response, since it carries response text.
 */
public final class Tokenization implements ExampleEncoder {

    /** Target value that the loss skips (the PyTorch cross-entropy default). */
    public static final int IGNORE = -100;

    private final Tokenizer tokenizer;
    private final int maxSeqLen;

    public Tokenization(Tokenizer tokenizer, int maxSeqLen) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer must not be null");
        if (maxSeqLen <= 0) {
            throw new IllegalArgumentException("maxSeqLen must be > 0, got " + maxSeqLen);
        }
        this.maxSeqLen = maxSeqLen;
    }

    public int maxSeqLen() {
        return maxSeqLen;
    }

    /** May return an example with no targets (prompt fills the whole window); {@link #applyAll} drops those. */
    @Override
    public TokenizedExample apply(Example example) {
        int[] full = tokenizer.encode(example.prompt() + example.response());
        int promptLen = example.prompt().isEmpty() ? 0 : commonPrefix(tokenizer.encode(example.prompt()), full);
        int bos = tokenizer.addsBos() ? 1 : 0;
        int eos = tokenizer.eosId().isPresent() ? 1 : 0;
        int[] ids = new int[bos + full.length + eos];
        if (bos == 1) {
            ids[0] = tokenizer.bosId().getAsInt();
        }
        System.arraycopy(full, 0, ids, bos, full.length);
        if (eos == 1) {
            ids[ids.length - 1] = tokenizer.eosId().getAsInt();
        }
        // a prompt (e.g. a long Dolly context) that would crowd the response out of the window loses its beginning,
        // so every example keeps at least a quarter of the window (or its whole response) as supervised tokens
        int budget = maxSeqLen + 1;
        int responseLen = ids.length - bos - promptLen;
        int keepResponse = Math.min(responseLen, Math.max(1, budget / 4));
        int maxPrompt = budget - bos - keepResponse;
        if (promptLen > maxPrompt && maxPrompt >= 0) {
            int drop = promptLen - maxPrompt;
            int[] cut = new int[ids.length - drop];
            System.arraycopy(ids, 0, cut, 0, bos);
            System.arraycopy(ids, bos + drop, cut, bos, ids.length - bos - drop);
            ids = cut;
            promptLen = maxPrompt;
        }
        int length = Math.min(ids.length, maxSeqLen + 1);
        int firstTarget = bos + promptLen;
        int n = Math.max(0, length - 1);
        int[] inputs = Arrays.copyOf(ids, n);
        int[] targets = new int[n];
        for (int t = 0; t < n; t++) {
            targets[t] = t + 1 >= firstTarget ? ids[t + 1] : IGNORE;
        }
        return new TokenizedExample(inputs, targets, example.clientKey());
    }

    /** [BOS] + tokens(prompt), as training feeds the prompt: BOS only where the checkpoint's tokenizer adds one. */
    @Override
    public int[] promptIds(HeldOutPrompt p) {
        int[] t = tokenizer.encode(p.prompt());
        if (!tokenizer.addsBos() || tokenizer.bosId().isEmpty()) {
            return t;
        }
        int[] in = new int[t.length + 1];
        in[0] = tokenizer.bosId().getAsInt();
        System.arraycopy(t, 0, in, 1, t.length);
        return in;
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }
}
