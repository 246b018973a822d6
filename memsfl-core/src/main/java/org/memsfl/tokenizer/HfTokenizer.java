package org.memsfl.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.memsfl.util.BadInputException;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's native tokenizers library, offline. Special tokens are never
 * added by {@link #encode}: callers add BOS/EOS themselves through {@link #bosId()}/{@link #eosId()}, which come from
 * {@code tokenizer_config.json}/{@code special_tokens_map.json} beside the file when present ({@code "bos_token":
 * null} means none, as in Qwen2.5). {@link #addsBos()}/{@link #addsEos()} follow {@code add_bos_token}/{@code
 * add_eos_token} where the config sets them (as LlamaTokenizerFast does), else the post-processor's single-sequence
 * template ({@code TemplateProcessing}, also inside a {@code Sequence}): special tokens before the sequence mean BOS,
 * after it EOS. A {@code ByteLevel} or absent post-processor adds nothing.
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {

    // Conventional names, used only when no config file beside tokenizer.json names BOS/EOS.
    private static final List<String> FALLBACK_BOS = List.of("<s>", "<|begin_of_text|>", "<bos>", "<|endoftext|>");
    private static final List<String> FALLBACK_EOS = List.of("</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>");

    private final HuggingFaceTokenizer delegate;
    private final int vocabSize;
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final boolean addBos;
    private final boolean addEos;

    private HfTokenizer(HuggingFaceTokenizer delegate, int vocabSize, OptionalInt bos, OptionalInt eos, boolean addBos,
                        boolean addEos) {
        this.delegate = delegate;
        this.vocabSize = vocabSize;
        this.bos = bos;
        this.eos = eos;
        this.addBos = addBos && bos.isPresent();
        this.addEos = addEos && eos.isPresent();
    }

    /** Loads {@code tokenizerJson} (a file, or a directory holding tokenizer.json) without network access. */
    public static HfTokenizer load(Path tokenizerJson) {
        Path file = Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson;
        if (!Files.isRegularFile(file)) {
            throw new BadInputException("Hugging Face tokenizer file " + file + " does not exist");
        }
        goOffline();
        JsonNode root = readJson(file);
        Map<String, Integer> ids = readIds(root, file);
        int vocabSize = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        Path dir = file.toAbsolutePath().getParent();
        SpecialTokens specials = SpecialTokens.read(dir);
        OptionalInt bos = specials.bosDeclared() && specials.bos().isEmpty() ? OptionalInt.empty()
                : resolve(ids, specials.bos(), FALLBACK_BOS, file, "bos_token");
        OptionalInt eos = specials.eosDeclared() && specials.eos().isEmpty() ? OptionalInt.empty()
                : resolve(ids, specials.eos(), FALLBACK_EOS, file, "eos_token");
        boolean[] template = template(root.path("post_processor"));
        boolean addBos = specials.addBos().orElse(template[0]);
        boolean addEos = specials.addEos().orElse(template[1]);
        HuggingFaceTokenizer delegate;
        try {
            delegate = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new BadInputException("cannot load Hugging Face tokenizer " + file + ": " + e.getMessage(), e);
        }
        return new HfTokenizer(delegate, vocabSize, bos, eos, addBos, addEos);
    }

    /** {special tokens before the sequence, after it} in a post-processor's single-sequence template. */
    static boolean[] template(JsonNode processor) {
        boolean[] out = new boolean[2];
        String type = processor.path("type").asText("");
        if (type.equals("Sequence")) {
            for (JsonNode p : processor.path("processors")) {
                boolean[] inner = template(p);
                out[0] |= inner[0];
                out[1] |= inner[1];
            }
        } else if (type.equals("TemplateProcessing")) {
            boolean seen = false;
            for (JsonNode piece : processor.path("single")) {
                if (piece.has("Sequence")) {
                    seen = true;
                } else if (piece.has("SpecialToken")) {
                    out[seen ? 1 : 0] = true;
                }
            }
        } else if (type.equals("BertProcessing") || type.equals("RobertaProcessing")) {
            out[0] = true;
            out[1] = true;
        }
        return out;
    }

    /** DJL would otherwise try to download and, outside tests, report telemetry; we only read local files. */
    private static void goOffline() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException("cannot parse " + file + " as JSON: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** Token -> id from model.vocab (object, or Unigram's [piece, score] list) and added_tokens. */
    private static Map<String, Integer> readIds(JsonNode root, Path file) {
        JsonNode vocab = root.path("model").path("vocab");
        if (!vocab.isObject() && !vocab.isArray()) {
            throw new BadInputException("Hugging Face tokenizer " + file
                    + ": field model.vocab is missing, expected an object or a list");
        }
        Map<String, Integer> ids = new HashMap<>();
        if (vocab.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                ids.put(e.getKey(), e.getValue().asInt());
            }
        } else {
            for (int i = 0; i < vocab.size(); i++) {
                ids.put(vocab.get(i).path(0).asText(), i);
            }
        }
        for (JsonNode added : root.path("added_tokens")) {
            if (added.hasNonNull("content") && added.hasNonNull("id")) {
                ids.put(added.get("content").asText(), added.get("id").asInt());
            }
        }
        return ids;
    }

    private static OptionalInt resolve(Map<String, Integer> ids, Optional<String> configured, List<String> fallback,
                                       Path file, String field) {
        if (configured.isPresent()) {
            Integer id = ids.get(configured.get());
            if (id == null) {
                throw new BadInputException("tokenizer config beside " + file + ": " + field + " '"
                        + configured.get() + "' is not in the vocabulary");
            }
            return OptionalInt.of(id);
        }
        return fallback.stream().filter(ids::containsKey).mapToInt(ids::get).findFirst();
    }

    @Override
    public int[] encode(String text) {
        long[] ids = delegate.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            wide[i] = ids[i];
        }
        return delegate.decode(wide, true);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
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

    @Override
    public void close() {
        delegate.close();
    }
}
