package org.memsfl.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import org.memsfl.util.BadInputException;

/** Picks the tokenizer a model directory ships with. */
public final class Tokenizers {

    private Tokenizers() {
    }

    /**
     * {@code tokenizer.json} (Hugging Face) wins over {@code vocab.json} + {@code merges.txt} (GPT-2 BPE), which wins
     * over llama2.c's {@code tok512.bin} / {@code tokenizer.bin}: a directory converted to HF format keeps the most
     * complete description of its tokenizer in tokenizer.json.
     */
    public static Tokenizer load(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new BadInputException("model directory " + modelDir + " does not exist or is not a directory");
        }
        if (Files.isRegularFile(modelDir.resolve("tokenizer.json"))) {
            return HfTokenizer.load(modelDir.resolve("tokenizer.json"));
        }
        boolean vocab = Files.isRegularFile(modelDir.resolve("vocab.json"));
        boolean merges = Files.isRegularFile(modelDir.resolve("merges.txt"));
        if (vocab && merges) {
            return Gpt2BpeTokenizer.load(modelDir);
        }
        for (String name : new String[] {"tok512.bin", "tokenizer.bin"}) {
            if (Files.isRegularFile(modelDir.resolve(name))) {
                return Llama2cTokenizer.load(modelDir.resolve(name));
            }
        }
        String half = vocab ? " (vocab.json is there but merges.txt is missing)"
                : merges ? " (merges.txt is there but vocab.json is missing)" : "";
        throw new BadInputException("no tokenizer in " + modelDir + ": expected tokenizer.json, vocab.json + merges.txt,"
                + " tok512.bin or tokenizer.bin" + half);
    }
}
