package org.memsfl.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import org.memsfl.util.BadInputException;

/**
 * The SentencePiece-style BPE of llama2.c ({@code tok512.bin}, {@code tokenizer.bin}), encoding exactly as
 * {@code run.c encode}: a dummy-prefix space, one piece per UTF-8 character (byte fallback otherwise), then greedy
 * merges of the adjacent pair whose concatenation has the highest score.
 */
public final class Llama2cTokenizer implements Tokenizer {

    public static final int UNK = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    /** Byte b is token b + 3 (llama2.c byte fallback). */
    private static final int BYTE_OFFSET = 3;
    /** run.c starts its best-score search here, so pieces scoring at or below it never merge. */
    private static final float RUN_C_MIN_SCORE = -1e10f;

    private final byte[][] pieces;
    private final float[] scores;
    // Keys are the piece bytes as ISO-8859-1 strings: a lossless byte<->char mapping that makes concatenation of
    // keys equal to concatenation of bytes, which is what run.c looks up.
    private final Map<String, Integer> idOfPiece;
    /** (left id, right id) -> id of the concatenated piece, for every pair whose concatenation is a piece. */
    private final PairTable merges;
    /** Piece id of each BMP code point that is a piece of its own, else -1. */
    private final int[] bmpPiece = new int[0x10000];

    private Llama2cTokenizer(byte[][] pieces, float[] scores) {
        this.pieces = pieces;
        this.scores = scores;
        this.idOfPiece = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            idOfPiece.putIfAbsent(key(pieces[i]), i);
        }
        this.merges = buildMerges();
        Arrays.fill(bmpPiece, -1);
        for (int i = 0; i < pieces.length; i++) {
            String text = new String(pieces[i], StandardCharsets.UTF_8);
            if (text.length() == 1 && Arrays.equals(text.getBytes(StandardCharsets.UTF_8), pieces[i])) {
                bmpPiece[text.charAt(0)] = idOfPiece.get(key(pieces[i]));
            }
        }
    }

    /**
     * Every split of every piece into two pieces a + b, with all ids spelling a and b (duplicates included) mapped to
     * the id that run.c's lookup of the concatenation returns. Precomputed so that merging never builds strings.
     */
    private PairTable buildMerges() {
        Map<String, List<Integer>> idsOf = new HashMap<>();
        for (int i = 0; i < pieces.length; i++) {
            idsOf.computeIfAbsent(key(pieces[i]), k -> new ArrayList<>()).add(i);
        }
        PairTable table = new PairTable(pieces.length * 4);
        for (byte[] piece : pieces) {
            String whole = key(piece);
            int merged = idOfPiece.get(whole);
            for (int cut = 1; cut < whole.length(); cut++) {
                List<Integer> lefts = idsOf.get(whole.substring(0, cut));
                List<Integer> rights = idsOf.get(whole.substring(cut));
                if (lefts == null || rights == null) {
                    continue;
                }
                for (int a : lefts) {
                    for (int b : rights) {
                        table.putIfAbsent(a, b, merged);
                    }
                }
            }
        }
        return table;
    }

    /** Reads every entry up to the end of the file. */
    public static Llama2cTokenizer load(Path file) {
        return read(file, -1);
    }

    /** Reads exactly {@code vocabSize} entries, as run.c does (trailing bytes are ignored). */
    public static Llama2cTokenizer load(Path file, int vocabSize) {
        if (vocabSize <= BYTE_OFFSET + 256) {
            throw new IllegalArgumentException("vocabSize must be > 259 (3 specials + 256 bytes), got " + vocabSize);
        }
        return read(file, vocabSize);
    }

    private static Llama2cTokenizer read(Path file, int vocabSize) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BadInputException("cannot read llama2.c tokenizer " + file + ": " + e.getMessage(), e);
        }
        ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.remaining() < 4) {
            throw new BadInputException("llama2.c tokenizer " + file + " is truncated: no max_token_length header");
        }
        int maxTokenLength = buf.getInt();
        if (maxTokenLength <= 0) {
            throw new BadInputException("llama2.c tokenizer " + file + ": max_token_length must be > 0, got "
                    + maxTokenLength);
        }
        int capacity = vocabSize > 0 ? vocabSize : raw.length / 8;
        byte[][] pieces = new byte[capacity][];
        float[] scores = new float[capacity];
        int n = 0;
        while (vocabSize > 0 ? n < vocabSize : buf.hasRemaining()) {
            if (buf.remaining() < 8) {
                throw truncated(file, n, vocabSize);
            }
            scores[n] = buf.getFloat();
            int len = buf.getInt();
            if (len < 0 || len > maxTokenLength) {
                throw new BadInputException("llama2.c tokenizer " + file + ": token " + n + " has length " + len
                        + ", expected 0.." + maxTokenLength);
            }
            if (buf.remaining() < len) {
                throw truncated(file, n, vocabSize);
            }
            pieces[n] = new byte[len];
            buf.get(pieces[n]);
            n++;
        }
        if (n <= BYTE_OFFSET + 256) {
            throw new BadInputException("llama2.c tokenizer " + file + " has " + n
                    + " tokens, expected more than 259 (3 specials + 256 byte tokens)");
        }
        return new Llama2cTokenizer(Arrays.copyOf(pieces, n), Arrays.copyOf(scores, n));
    }

    private static BadInputException truncated(Path file, int token, int vocabSize) {
        String expected = vocabSize > 0 ? " of " + vocabSize : "";
        return new BadInputException("llama2.c tokenizer " + file + " is truncated inside token " + token + expected
                + " (expected float32 score, int32 length, bytes)");
    }

    private static String key(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    @Override
    public int[] encode(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        int[] tokens = new int[1 + text.getBytes(StandardCharsets.UTF_8).length];
        int n = 0;
        tokens[n++] = dummyPrefixId();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int id = pieceOf(cp);
            if (id >= 0) {
                tokens[n++] = id;
            } else {
                byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                for (byte b : utf8) {
                    tokens[n++] = (b & 0xFF) + BYTE_OFFSET;
                }
            }
        }
        return Arrays.copyOf(tokens, merge(tokens, n));
    }

    private int pieceOf(int cp) {
        if (cp < bmpPiece.length) {
            return bmpPiece[cp];
        }
        Integer id = idOfPiece.get(key(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)));
        return id == null ? -1 : id;
    }

    /** run.c assumes " " is a piece; a vocabulary without it would otherwise yield id -1, so fall back to its byte. */
    private int dummyPrefixId() {
        Integer id = idOfPiece.get(" ");
        return id != null ? id : (' ' + BYTE_OFFSET);
    }

    /**
     * Greedy BPE in place; returns the new length. Same result as run.c's rescan loop (highest score first, leftmost
     * on ties) but with a heap over a linked list, because run.c's loop is quadratic and Dolly contexts are long.
     * Node indices never reorder, so the smallest left index among live pairs is the leftmost pair.
     */
    private int merge(int[] tokens, int n) {
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Candidate> heap = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            offer(heap, i, tokens[i], tokens[i + 1]);
        }
        int live = n;
        while (!heap.isEmpty()) {
            Candidate c = heap.poll();
            int right = dead[c.left] ? -1 : next[c.left];
            if (right < 0 || tokens[c.left] != c.a || tokens[right] != c.b) {
                continue;
            }
            tokens[c.left] = c.merged;
            dead[right] = true;
            next[c.left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = c.left;
            }
            live--;
            if (prev[c.left] >= 0) {
                offer(heap, prev[c.left], tokens[prev[c.left]], c.merged);
            }
            if (next[c.left] >= 0) {
                offer(heap, c.left, c.merged, tokens[next[c.left]]);
            }
        }
        int w = 0;
        for (int i = 0; i >= 0 && w < live; i = next[i]) {
            tokens[w++] = tokens[i];
        }
        return w;
    }

    private void offer(PriorityQueue<Candidate> heap, int left, int a, int b) {
        int merged = mergedId(a, b);
        if (merged >= 0 && scores[merged] > RUN_C_MIN_SCORE) {
            heap.add(new Candidate(scores[merged], left, a, b, merged));
        }
    }

    private int mergedId(int a, int b) {
        return merges.get(a, b);
    }

    private record Candidate(float score, int left, int a, int b, int merged) implements Comparable<Candidate> {
        @Override
        public int compareTo(Candidate o) {
            // plain float comparison, as run.c: -0.0 and 0.0 tie
            if (score != o.score) {
                return score > o.score ? -1 : 1;
            }
            return Integer.compare(left, o.left);
        }
    }

    /**
     * Text of {@code ids}. As run.c, the leading space of a piece that follows BOS is dropped; so is the one of the
     * very first piece, because {@link #encode} always starts with the dummy prefix: decode(encode(s)) equals s.
     * Use {@link #decodeContinuation} for ids that continue earlier text.
     */
    @Override
    public String decode(int[] ids) {
        return decode(ids, true);
    }

    /** As {@link #decode} but keeps the first piece's leading space unless it follows BOS (exactly run.c). */
    public String decodeContinuation(int[] ids) {
        return decode(ids, false);
    }

    private String decode(int[] ids, boolean stripFirst) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = stripFirst ? BOS : -1;
        for (int id : ids) {
            if (id < 0 || id >= pieces.length) {
                throw new IllegalArgumentException("token id must be in [0, " + pieces.length + "), got " + id);
            }
            if (id == UNK || id == BOS || id == EOS) {
                prev = id;
                continue;
            }
            byte[] piece = pieces[id];
            int from = prev == BOS && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            int b = byteOf(piece);
            if (b >= 0) {
                out.write(b);
            } else {
                out.write(piece, from, piece.length - from);
            }
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The byte of a {@code <0xNN>} fallback piece, else -1. */
    private static int byteOf(byte[] piece) {
        if (piece.length != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' || piece[5] != '>') {
            return -1;
        }
        int hi = Character.digit(piece[3], 16);
        int lo = Character.digit(piece[4], 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    /** Raw bytes of one piece (for byte tokens the literal {@code <0xNN>} text). */
    public byte[] piece(int id) {
        return pieces[id].clone();
    }

    public float score(int id) {
        return scores[id];
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public OptionalInt bosId() {
        return OptionalInt.of(BOS);
    }

    @Override
    public OptionalInt eosId() {
        return OptionalInt.of(EOS);
    }

    /** llama2.c's run.c encodes prompts with BOS and without EOS, as SentencePiece Llama tokenizers do. */
    @Override
    public boolean addsBos() {
        return true;
    }
}
