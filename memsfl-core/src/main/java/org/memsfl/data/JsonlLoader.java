package org.memsfl.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.memsfl.util.BadInputException;

/** A user's JSON-lines file of prompt/response records, with configurable field names. */
public final class JsonlLoader {

    private JsonlLoader() {
    }

    public static List<Example> read(Path file, JsonlFields fields) {
        List<Example> out = new ArrayList<>();
        for (JsonLines.Line line : JsonLines.read(file)) {
            String prompt = fields.prompt() == null ? "" : line.text(fields.prompt());
            String key = fields.clientKey() == null ? "" : line.text(fields.clientKey());
            out.add(new Example(prompt, line.text(fields.response()), key));
        }
        if (out.isEmpty()) {
            throw new BadInputException("JSON lines file " + file + " has no records, expected one JSON object a line");
        }
        return out;
    }

    public static Dataset load(Path file, JsonlFields fields) {
        return Splits.holdOut(TextLoader.baseName(file), read(file, fields));
    }
}
