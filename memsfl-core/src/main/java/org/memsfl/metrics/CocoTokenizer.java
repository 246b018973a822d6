package org.memsfl.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tokenization the MS-COCO caption evaluation code (pycocoevalcap, used by e2e-metrics for METEOR, ROUGE-L and
 * CIDEr) applies before scoring: Stanford's PTBTokenizer with lower-casing, then every punctuation token dropped.
 * This is a small re-implementation of the parts that matter for English sentences, not the full Penn Treebank
 * grammar: text is lower-cased; brackets, quotes and the marks {@code . , ! ? ; :} split off (a period or comma
 * between digits stays, as in "3.5"); the clitics {@code n't 's 're 've 'll 'd 'm} split off as PTB does; tokens that
 * are only punctuation are dropped, as pycocoevalcap's tokenizer drops {@code '' ' `` ` -LRB- -RRB- . ? ! , : - -- ...
 * ;}. Hyphens inside words stay, as in PTB.
 */
public final class CocoTokenizer {

    private static final Pattern SPLIT_MARKS = Pattern.compile("([()\\[\\]{}\"!?;:`])");
    private static final Pattern PERIOD_COMMA = Pattern.compile("(?<![0-9])([.,])|([.,])(?![0-9])");
    private static final Pattern CLITIC = Pattern.compile("^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$");
    private static final Set<String> PUNCTUATION = Set.of("''", "'", "``", "`", "(", ")", "[", "]", "{", "}", "\"",
            ".", "?", "!", ",", ":", "-", "--", "...", ";");

    private CocoTokenizer() {
    }

    /** The lower-cased, punctuation-free tokens of {@code text}. */
    public static List<String> tokenize(String text) {
        String s = text.toLowerCase(Locale.ROOT);
        s = SPLIT_MARKS.matcher(s).replaceAll(" $1 ");
        s = PERIOD_COMMA.matcher(s).replaceAll(" $1$2 ");
        List<String> out = new ArrayList<>();
        for (String raw : s.strip().split("\\s+")) {
            if (raw.isEmpty()) {
                continue;
            }
            var m = CLITIC.matcher(raw);
            if (m.matches()) {
                addUnlessPunct(out, m.group(1));
                addUnlessPunct(out, m.group(2));
            } else {
                addUnlessPunct(out, raw);
            }
        }
        return out;
    }

    private static void addUnlessPunct(List<String> out, String token) {
        String t = token.strip();
        if (!t.isEmpty() && !PUNCTUATION.contains(t) && !t.matches("[.\\-']+")) {
            out.add(t);
        }
    }
}
