package org.memsfl.tokenizer;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

class Llama2cTokenizerTest {

    private static final Path TOK = Assets.path("models/stories260K/tok512.bin");
    private final Llama2cTokenizer tok = Llama2cTokenizer.load(TOK, 512);

    @Test
    void encodesThePromptOfTheGoldenGreedyRun() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(Assets.path("models/stories260K/golden_greedy.json").toFile());
        int[] withBos = new ObjectMapper().convertValue(golden.get("prompt_ids_with_bos"), int[].class);
        assertThat(withBos[0]).isEqualTo(tok.bosId().getAsInt());

        int[] ids = tok.encode(golden.get("prompt").asText());

        assertThat(ids).containsExactly(Arrays.copyOfRange(withBos, 1, withBos.length));
        assertThat(ids).containsExactly(403, 407, 261, 378);
    }

    @Test
    void readsTheWholeFileWhenVocabSizeIsInferred() {
        Llama2cTokenizer inferred = Llama2cTokenizer.load(TOK);
        assertThat(inferred.vocabSize()).isEqualTo(512);
        assertThat(new String(inferred.piece(403), StandardCharsets.UTF_8)).isEqualTo(" Once");
        assertThat(inferred.encode("Once upon a time")).containsExactly(403, 407, 261, 378);
    }

    @Test
    void charactersOutsideTheVocabFallBackToByteTokens() {
        // "東" is E6 9D B1 in UTF-8 and has no piece; byte b is token b + 3; the dummy prefix " " is piece 410
        assertThat(new String(tok.piece(410), StandardCharsets.UTF_8)).isEqualTo(" ");
        assertThat(tok.encode("東")).containsExactly(410, 0xE6 + 3, 0x9D + 3, 0xB1 + 3);
    }

    @Test
    void decodeInvertsEncode() {
        for (String s : List.of("Once upon a time", "café — 東京", "Hello\n\nworld!", " leading space",
                "trailing  ", "emoji 🙂 and tab\t.", "")) {
            assertThat(tok.decode(tok.encode(s))).as(s).isEqualTo(s);
        }
    }

    @Test
    void decodeSkipsSpecialsAndStripsTheSpaceAfterBos() {
        int[] ids = {1, 403, 407, 2};
        assertThat(tok.decode(ids)).isEqualTo("Once upon");
        assertThat(tok.decodeContinuation(new int[] {407, 261})).isEqualTo(" upon a");
        assertThat(tok.decodeContinuation(new int[] {1, 407, 261})).isEqualTo("upon a");
    }

    @Test
    void heapMergeAgreesWithRunCsRescanLoop() throws IOException {
        List<String> texts = new ArrayList<>(List.of("aaaa bbbb aaaa", "the the the", "", "x", "  ", "naïve café"));
        String shakespeare = Files.readString(Assets.path("data/tinyshakespeare/input.txt"));
        for (String para : shakespeare.substring(0, 20_000).split("\n\n")) {
            texts.add(para);
        }
        texts.add(shakespeare.substring(50_000, 54_000));
        for (String text : texts) {
            assertThat(tok.encode(text)).as(text).containsExactly(runCEncode(text));
        }
    }

    /** run.c's encode written as literally as possible, as an independent oracle for the optimised version. */
    private int[] runCEncode(String text) {
        List<Integer> tokens = new ArrayList<>();
        if (!text.isEmpty()) {
            tokens.add(lookup(" ".getBytes(StandardCharsets.UTF_8)));
        }
        text.codePoints().forEach(cp -> {
            byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            int id = lookup(utf8);
            if (id != -1) {
                tokens.add(id);
            } else {
                for (byte b : utf8) {
                    tokens.add((b & 0xFF) + 3);
                }
            }
        });
        while (true) {
            float bestScore = -1e10f;
            int bestId = -1;
            int bestIdx = -1;
            for (int i = 0; i < tokens.size() - 1; i++) {
                byte[] a = tok.piece(tokens.get(i));
                byte[] b = tok.piece(tokens.get(i + 1));
                byte[] ab = Arrays.copyOf(a, a.length + b.length);
                System.arraycopy(b, 0, ab, a.length, b.length);
                int id = lookup(ab);
                if (id != -1 && tok.score(id) > bestScore) {
                    bestScore = tok.score(id);
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx == -1) {
                break;
            }
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    private Map<ByteBuffer, Integer> byPiece;

    /** run.c's str_lookup; the first id wins for duplicate pieces (tok512.bin has none). */
    private int lookup(byte[] bytes) {
        if (byPiece == null) {
            byPiece = new HashMap<>();
            for (int i = 0; i < tok.vocabSize(); i++) {
                byPiece.putIfAbsent(ByteBuffer.wrap(tok.piece(i)), i);
            }
        }
        return byPiece.getOrDefault(ByteBuffer.wrap(bytes), -1);
    }

    @Test
    void truncatedFileIsReportedWithItsName(@TempDir Path dir) throws IOException {
        Path cut = dir.resolve("cut-tok512.bin");
        byte[] all = Files.readAllBytes(TOK);
        Files.write(cut, Arrays.copyOf(all, 3000));

        assertThatThrownBy(() -> Llama2cTokenizer.load(cut, 512))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(cut.toString())
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> Llama2cTokenizer.load(cut))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(cut.toString());
    }

    @Test
    void missingFileIsBadInput(@TempDir Path dir) {
        Path missing = dir.resolve("nope.bin");
        assertThatThrownBy(() -> Llama2cTokenizer.load(missing))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void specialsAreTheLlamaOnes() {
        assertThat(tok.bosId()).hasValue(1);
        assertThat(tok.eosId()).hasValue(2);
        assertThat(tok.vocabSize()).isEqualTo(512);
    }
}
