package org.memsfl.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.memsfl.util.BadInputException;

/**
 * BOS/EOS and other special token strings that Hugging Face keeps beside the vocabulary, in
 * {@code tokenizer_config.json} and {@code special_tokens_map.json}; absent files mean no information.
 *
 * @param bosDeclared   a file names {@code bos_token}, possibly as {@code null} (Qwen2.5: no BOS at all)
 * @param eosDeclared   the same for {@code eos_token}
 * @param addBos        {@code add_bos_token} of tokenizer_config.json, empty when not set
 * @param addEos        {@code add_eos_token} of tokenizer_config.json, empty when not set
 */
record SpecialTokens(Optional<String> bos, Optional<String> eos, Set<String> specialTokens, boolean bosDeclared,
                     boolean eosDeclared, Optional<Boolean> addBos, Optional<Boolean> addEos) {

    SpecialTokens {
        specialTokens = Set.copyOf(specialTokens);
    }

    static SpecialTokens read(Path dir) {
        String bos = null;
        String eos = null;
        boolean bosDeclared = false;
        boolean eosDeclared = false;
        Boolean addBos = null;
        Boolean addEos = null;
        Set<String> specials = new HashSet<>();
        for (String name : new String[] {"tokenizer_config.json", "special_tokens_map.json"}) {
            JsonNode root = readIfPresent(dir.resolve(name));
            if (root == null) {
                continue;
            }
            if (!bosDeclared && root.has("bos_token")) {
                bosDeclared = true;
                bos = content(root.get("bos_token"));
            }
            if (!eosDeclared && root.has("eos_token")) {
                eosDeclared = true;
                eos = content(root.get("eos_token"));
            }
            addBos = addBos != null ? addBos : flag(root, "add_bos_token");
            addEos = addEos != null ? addEos : flag(root, "add_eos_token");
            for (String field : new String[] {"bos_token", "eos_token", "unk_token", "pad_token"}) {
                String s = content(root.get(field));
                if (s != null) {
                    specials.add(s);
                }
            }
            JsonNode decoder = root.get("added_tokens_decoder");
            if (decoder != null && decoder.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
                    JsonNode token = it.next().getValue();
                    if (token.path("special").asBoolean(false) && token.hasNonNull("content")) {
                        specials.add(token.get("content").asText());
                    }
                }
            }
        }
        return new SpecialTokens(Optional.ofNullable(bos), Optional.ofNullable(eos), specials, bosDeclared, eosDeclared,
                Optional.ofNullable(addBos), Optional.ofNullable(addEos));
    }

    private static Boolean flag(JsonNode root, String field) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? null : n.asBoolean();
    }

    /** A token is written either as a plain string or as an AddedToken object with a "content" field. */
    private static String content(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        JsonNode c = node.get("content");
        return c != null && c.isTextual() ? c.asText() : null;
    }

    private static JsonNode readIfPresent(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException("cannot parse " + file + " as JSON: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }
}
