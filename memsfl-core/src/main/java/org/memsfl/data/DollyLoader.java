package org.memsfl.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.memsfl.util.BadInputException;

/** databricks-dolly-15k as one JSON-lines file per category; the category is the client key. */
public final class DollyLoader {

    public static final String NAME = "dolly";
    /** Where the files live under the assets root. */
    public static final String RELATIVE_DIR = "data/dolly15k/by_category";

    private DollyLoader() {
    }

    /** Every record of every {@code *.jsonl} in {@code dir}, files in name order. */
    public static List<Example> read(Path dir) {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        } catch (IOException e) {
            throw new BadInputException("cannot list Dolly directory " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new BadInputException("Dolly directory " + dir + " has no .jsonl files, expected one per category");
        }
        List<Example> out = new ArrayList<>();
        for (Path file : files) {
            for (JsonLines.Line line : JsonLines.read(file)) {
                out.add(PromptTemplate.dolly(line.text("instruction"), line.text("context"), line.text("response"),
                        line.text("category")));
            }
        }
        return out;
    }

    /** Dolly has no eval split, so a seeded hold-out makes one. */
    public static Dataset load(Path dir) {
        return Splits.holdOut(NAME, read(dir));
    }
}
