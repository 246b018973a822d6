package org.memsfl.tokenizer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.memsfl.util.BadInputException;

/**
 * GPT-2 byte-level BPE from {@code vocab.json} + {@code merges.txt}: pre-tokenise with GPT-2's regex, map each
 * piece's UTF-8 bytes to printable characters, then apply merges lowest rank first. Text is encoded as ordinary text:
 * a literal {@code <|endoftext|>} in the input is not turned into the special token (training data may contain it).
 */
public final class Gpt2BpeTokenizer implements Tokenizer {

    public static final String END_OF_TEXT = "<|endoftext|>";

    // UNICODE_CHARACTER_CLASS makes \s Unicode White_Space, as tiktoken's r50k_base does; without it Java's \s is ASCII.
    private static final Pattern PRE_TOKENIZE = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final int CACHE_LIMIT = 100_000;

    private final Map<String, Integer> vocab;
    private final String[] tokenOfId;
    private final Map<String, Integer> mergeRank;
    private final Set<Integer> specialIds;
    private final Integer endOfText;
    private final Integer unk;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final boolean addBos;
    private final boolean addEos;

    private Gpt2BpeTokenizer(Map<String, Integer> vocab, Map<String, Integer> mergeRank, SpecialTokens config) {
        Set<String> specials = config.specialTokens();
        this.vocab = Map.copyOf(vocab);
        this.mergeRank = mergeRank;
        int size = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        this.tokenOfId = new String[size];
        vocab.forEach((token, id) -> tokenOfId[id] = token);
        this.endOfText = vocab.get(END_OF_TEXT);
        this.unk = vocab.get("<unk>");
        Set<Integer> ids = new HashSet<>();
        for (String s : specials) {
            Integer id = vocab.get(s);
            if (id != null) {
                ids.add(id);
            }
        }
        if (endOfText != null) {
            ids.add(endOfText);
        }
        this.specialIds = Set.copyOf(ids);
        // GPT2Tokenizer's defaults: BOS = EOS = <|endoftext|>, add_bos_token false; a config may name others or null
        this.bos = declared(vocab, config.bosDeclared(), config.bos(), "bos_token");
        this.eos = declared(vocab, config.eosDeclared(), config.eos(), "eos_token");
        this.addBos = bos.isPresent() && config.addBos().orElse(false);
        this.addEos = eos.isPresent() && config.addEos().orElse(false);
    }

    private OptionalInt declared(Map<String, Integer> vocab, boolean declared, java.util.Optional<String> name,
                                 String field) {
        if (!declared) {
            return endOfText == null ? OptionalInt.empty() : OptionalInt.of(endOfText);
        }
        if (name.isEmpty()) {
            return OptionalInt.empty();
        }
        Integer id = vocab.get(name.get());
        if (id == null) {
            throw new BadInputException("tokenizer config: " + field + " '" + name.get() + "' is not in vocab.json");
        }
        return OptionalInt.of(id);
    }

    /** Loads {@code vocab.json} and {@code merges.txt} from {@code dir}; special tokens from tokenizer_config.json. */
    public static Gpt2BpeTokenizer load(Path dir) {
        return load(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
    }

    public static Gpt2BpeTokenizer load(Path vocabJson, Path mergesTxt) {
        Map<String, Integer> vocab = readVocab(vocabJson);
        Map<String, Integer> ranks = readMerges(mergesTxt);
        Path parent = vocabJson.toAbsolutePath().getParent();
        SpecialTokens config = parent == null
                ? new SpecialTokens(java.util.Optional.empty(), java.util.Optional.empty(), Set.of(), false, false,
                        java.util.Optional.empty(), java.util.Optional.empty())
                : SpecialTokens.read(parent);
        return new Gpt2BpeTokenizer(vocab, ranks, config);
    }

    private static Map<String, Integer> readVocab(Path file) {
        Map<String, Integer> vocab;
        try {
            vocab = new ObjectMapper().readValue(file.toFile(), new TypeReference<Map<String, Integer>>() { });
        } catch (IOException e) {
            throw new BadInputException("cannot read GPT-2 vocab " + file
                    + ": expected a JSON object of token -> id (" + e.getMessage().lines().findFirst().orElse("") + ")",
                    e);
        }
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (e.getValue() == null || e.getValue() < 0) {
                throw new BadInputException("GPT-2 vocab " + file + ": token '" + e.getKey()
                        + "' has id " + e.getValue() + ", expected an integer >= 0");
            }
        }
        if (vocab.isEmpty()) {
            throw new BadInputException("GPT-2 vocab " + file + " is empty, expected token -> id entries");
        }
        return vocab;
    }

    private static Map<String, Integer> readMerges(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BadInputException("cannot read GPT-2 merges " + file + ": " + e.getMessage(), e);
        }
        Map<String, Integer> ranks = new HashMap<>(lines.size() * 2);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            String[] parts = line.split(" ");
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new BadInputException("GPT-2 merges " + file + " line " + (i + 1)
                        + ": expected two tokens separated by one space, got '" + line + "'");
            }
            ranks.putIfAbsent(pairKey(parts[0], parts[1]), ranks.size());
        }
        return ranks;
    }

    private static String pairKey(String a, String b) {
        // byte-level symbols never contain a space (0x20 maps to U+0120), so a space separates unambiguously
        return a + ' ' + b;
    }

    @Override
    public int[] encode(String text) {
        List<Integer> out = new ArrayList<>();
        Matcher m = PRE_TOKENIZE.matcher(text);
        while (m.find()) {
            for (int id : encodeWord(ByteLevel.encode(m.group().getBytes(StandardCharsets.UTF_8)))) {
                out.add(id);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private int[] encodeWord(String word) {
        int[] hit = cache.get(word);
        if (hit != null) {
            return hit;
        }
        List<String> symbols = bpe(word);
        int[] ids = new int[symbols.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.get(symbols.get(i));
            if (id == null) {
                if (unk == null) {
                    throw new BadInputException("GPT-2 vocab has no token '" + symbols.get(i)
                            + "' and no <unk> to stand in for it");
                }
                id = unk;
            }
            ids[i] = id;
        }
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(word, ids);
        return ids;
    }

    /** encoder.py's bpe(): merge every occurrence of the lowest-ranked adjacent pair until none has a rank. */
    private List<String> bpe(String word) {
        List<String> symbols = new ArrayList<>(word.length());
        for (int i = 0; i < word.length(); i++) {
            symbols.add(String.valueOf(word.charAt(i)));
        }
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer rank = mergeRank.get(pairKey(symbols.get(i), symbols.get(i + 1)));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    first = symbols.get(i);
                    second = symbols.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(first) && symbols.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols = merged;
        }
        return symbols;
    }

    /** Text of {@code ids}; special tokens are skipped, invalid UTF-8 becomes U+FFFD (GPT-2's errors="replace"). */
    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= tokenOfId.length || tokenOfId[id] == null) {
                throw new IllegalArgumentException("token id must be a vocab id in [0, " + tokenOfId.length
                        + "), got " + id);
            }
            if (specialIds.contains(id)) {
                continue;
            }
            String token = tokenOfId[id];
            for (int i = 0; i < token.length(); i++) {
                int b = ByteLevel.byteOf(token.charAt(i));
                if (b < 0) {
                    // not a byte-level token (an added token such as <unk>): keep its text as is
                    bytes.writeBytes(String.valueOf(token.charAt(i)).getBytes(StandardCharsets.UTF_8));
                } else {
                    bytes.write(b);
                }
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The vocab string of {@code id} (byte-level characters, e.g. "Ġthe"). */
    public String token(int id) {
        return tokenOfId[id];
    }

    @Override
    public int vocabSize() {
        return tokenOfId.length;
    }

    @Override
    public OptionalInt bosId() {
        return bos;
    }

    @Override
    public OptionalInt eosId() {
        return eos;
    }

    @Override
    public boolean addsBos() {
        return addBos;
    }

    @Override
    public boolean addsEos() {
        return addEos;
    }
}
