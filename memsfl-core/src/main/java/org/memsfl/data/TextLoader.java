package org.memsfl.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.memsfl.util.BadInputException;

/** A plain .txt file as language-modelling examples: one example per blank-line-separated chunk, no prompt. */
public final class TextLoader {

    private TextLoader() {
    }

    public static List<Example> read(Path file) {
        String text;
        try {
            text = org.memsfl.util.TextFiles.readString(file);
        } catch (IOException e) {
            throw new BadInputException("cannot read text file " + file + ": " + e.getMessage(), e);
        }
        List<Example> out = TextBlocks.split(text).stream().map(b -> Example.text(b.text())).toList();
        if (out.isEmpty()) {
            throw new BadInputException("text file " + file + " has no text, expected chunks separated by blank lines");
        }
        return out;
    }

    public static Dataset load(Path file) {
        return Splits.holdOut(baseName(file), read(file));
    }

    static String baseName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
