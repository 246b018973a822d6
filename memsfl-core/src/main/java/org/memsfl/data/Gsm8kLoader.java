package org.memsfl.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** GSM8K grade-school maths, train.jsonl / test.jsonl of {question, answer}; no natural client key. */
public final class Gsm8kLoader {

    public static final String NAME = "gsm8k";
    public static final String RELATIVE_DIR = "data/gsm8k";

    private Gsm8kLoader() {
    }

    public static List<Example> read(Path jsonl) {
        List<Example> out = new ArrayList<>();
        for (JsonLines.Line line : JsonLines.read(jsonl)) {
            out.add(PromptTemplate.gsm8k(line.text("question"), line.text("answer")));
        }
        return out;
    }

    public static Dataset load(Path dir) {
        return new Dataset(NAME, read(dir.resolve("train.jsonl")), read(dir.resolve("test.jsonl")));
    }
}
