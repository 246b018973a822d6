package org.memsfl.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The text normalisation of NIST's mteval-v13a script ({@code NormalizeText}), which the E2E NLG Challenge's
 * official BLEU and NIST use (e2e-metrics runs mteval-v13a-sig.pl without {@code -c}, so case is folded).
 * In order: SGML entities for quote, ampersand, less- and greater-than are decoded and line breaks joined; ASCII
 * capitals are lowered; the ASCII symbols {@code {|}~[\]^_`} and space to {@code &}, {@code (} to {@code +},
 * {@code :} to {@code @} and {@code /} become tokens of their own; a period or comma becomes a token unless it sits
 * between digits; a dash after a digit becomes a token; whitespace is collapsed. Apostrophes and other hyphens stay
 * inside words.
 */
public final class MtevalTokenizer {

    private static final Pattern SYMBOL = Pattern.compile("([{-~\\[-` -&(-+:-@/])");
    private static final Pattern PUNCT_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([.,])");
    private static final Pattern PUNCT_BEFORE_NON_DIGIT = Pattern.compile("([.,])([^0-9])");
    private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private MtevalTokenizer() {
    }

    /** The normalised tokens of {@code text}; empty for blank text. */
    public static List<String> tokenize(String text) {
        String s = text.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
                .replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
        s = " " + lowerAscii(s) + " ";
        s = SYMBOL.matcher(s).replaceAll(" $1 ");
        s = PUNCT_AFTER_NON_DIGIT.matcher(s).replaceAll("$1 $2 ");
        s = PUNCT_BEFORE_NON_DIGIT.matcher(s).replaceAll(" $1 $2");
        s = DASH_AFTER_DIGIT.matcher(s).replaceAll("$1 $2 ");
        s = SPACES.matcher(s).replaceAll(" ").strip();
        return s.isEmpty() ? List.of() : Arrays.asList(s.split(" "));
    }

    /** mteval folds only A-Z (a Perl {@code tr/[A-Z]/[a-z]/}), leaving other letters as they are. */
    private static String lowerAscii(String s) {
        char[] c = s.toCharArray();
        for (int i = 0; i < c.length; i++) {
            if (c[i] >= 'A' && c[i] <= 'Z') {
                c[i] = (char) (c[i] + ('a' - 'A'));
            }
        }
        return new String(c);
    }
}
