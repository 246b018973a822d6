package org.memsfl.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.memsfl.util.BadInputException;

/**
 * Tiny Shakespeare split into speeches ("NAME:\n&lt;lines&gt;" blocks between blank lines) for plain language
 * modelling; the speaker is the client key, as in the LEAF Shakespeare benchmark. A speech whose lines are missing
 * from the source (only "NAME:") is kept: it is part of the text.
 */
public final class ShakespeareLoader {

    public static final String NAME = "shakespeare";
    public static final String RELATIVE_FILE = "data/tinyshakespeare/input.txt";

    private ShakespeareLoader() {
    }

    public static List<Example> read(Path file) {
        String text;
        try {
            text = org.memsfl.util.TextFiles.readString(file);
        } catch (IOException e) {
            throw new BadInputException("cannot read Shakespeare text " + file + ": " + e.getMessage(), e);
        }
        List<Example> out = new ArrayList<>();
        for (TextBlocks.Block block : TextBlocks.split(text)) {
            String firstLine = block.text().lines().findFirst().orElse("");
            if (!firstLine.endsWith(":") || firstLine.length() < 2) {
                throw new BadInputException(file + " line " + block.line() + ": speech starts with '" + firstLine
                        + "', expected a speaker line 'NAME:'");
            }
            out.add(new Example("", block.text(), firstLine.substring(0, firstLine.length() - 1)));
        }
        return out;
    }

    public static Dataset load(Path file) {
        return Splits.holdOut(NAME, read(file));
    }
}
