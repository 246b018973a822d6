package org.memsfl.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.memsfl.tokenizer.Tokenizer;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Setting;

/**
 * A free text scored the way the field computes perplexity (Hugging Face's "Perplexity of fixed-length models"):
 * the ids are the tokenizer's own encoding with its own special tokens ({@link Tokenizer#addsBos()}/{@link
 * Tokenizer#addsEos()}; GPT-2 adds none, Llama adds BOS), never an EOS the tokenizer would not add, and every id after
 * the first is a target exactly once. A text longer than the context is scored in strided windows: each window holds
 * at most {@code context} inputs, and scores only the ids the previous window did not, with the ids before them
 * (at least {@code context - stride} of them) as context.
 *
 * @param windows  one example per window, targets set only on the ids it scores
 * @param ids      the whole encoded text, special tokens included
 * @param addedBos whether BOS was put in front
 * @param addedEos whether EOS was put after
 * @param context  inputs per window at most
 * @param stride   ids newly scored per window after the first (0 when the text fits one window)
 */
public record TextWindows(List<TokenizedExample> windows, int[] ids, boolean addedBos, boolean addedEos, int context,
                          int stride) {

    public TextWindows {
        windows = List.copyOf(windows);
    }

    /**
     * @param context inputs per window (the model's context, or less)
     * @param stride  ids newly scored per later window, in [1, context]; {@code context / 2} is the usual choice
     * @throws BadInputException when the text encodes to fewer than two ids (nothing to predict)
     */
    public static TextWindows of(Tokenizer tokenizer, String text, int context, int stride) {
        if (context < 1 || stride < 1 || stride > context) {
            throw new IllegalArgumentException("need 1 <= stride <= context, got stride " + stride + " and context " + context);
        }
        int[] body = tokenizer.encode(text);
        boolean bos = tokenizer.addsBos();
        boolean eos = tokenizer.addsEos();
        int[] ids = new int[(bos ? 1 : 0) + body.length + (eos ? 1 : 0)];
        if (bos) {
            ids[0] = tokenizer.bosId().getAsInt();
        }
        System.arraycopy(body, 0, ids, bos ? 1 : 0, body.length);
        if (eos) {
            ids[ids.length - 1] = tokenizer.eosId().getAsInt();
        }
        if (ids.length < 2) {
            int length = ids.length;
            throw new BadInputException(n -> n.of(Setting.TEXT) + " encodes to " + length + " token(s)"
                    + (bos ? " with BOS" : "") + "; at least 2 are needed to score one prediction");
        }
        List<TokenizedExample> windows = new ArrayList<>();
        int n = ids.length;
        int end = Math.min(n, context + 1);
        int begin = 0;
        int scoredUpTo = 1;  // id 0 has nothing before it
        while (true) {
            windows.add(window(ids, begin, end, scoredUpTo));
            scoredUpTo = end;
            if (end == n) {
                break;
            }
            end = Math.min(n, end + stride);
            begin = Math.max(0, end - context - 1);
        }
        return new TextWindows(windows, ids, bos, eos, context, windows.size() == 1 ? 0 : stride);
    }

    /** Inputs ids[begin, end - 1); the target of input t is ids[t + 1], kept only where t + 1 >= scoredFrom. */
    private static TokenizedExample window(int[] ids, int begin, int end, int scoredFrom) {
        int[] inputs = Arrays.copyOfRange(ids, begin, end - 1);
        int[] targets = new int[inputs.length];
        for (int t = 0; t < inputs.length; t++) {
            int next = begin + t + 1;
            targets[t] = next >= scoredFrom ? ids[next] : Tokenization.IGNORE;
        }
        return new TokenizedExample(inputs, targets, "text");
    }

    /** Ids scored (every id after the first). */
    public int scoredTokens() {
        return ids.length - 1;
    }
}
