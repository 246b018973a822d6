package org.memsfl.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * E2E NLG: the dev set trains and the test set (with references) evaluates, since the official training set is not
 * shipped. The restaurant {@code name[...]} in the meaning representation is the client key.
 */
public final class E2eLoader {

    public static final String NAME = "e2e";
    public static final String RELATIVE_DIR = "data/e2e";
    public static final String TRAIN_FILE = "devset.csv";
    public static final String EVAL_FILE = "testset_w_refs.csv";

    private static final Pattern RESTAURANT = Pattern.compile("name\\[([^\\]]*)\\]");

    private E2eLoader() {
    }

    public static List<Example> read(Path csv) {
        List<Example> out = new ArrayList<>();
        for (Map<String, String> record : Csv.readRecords(csv, List.of("mr", "ref"))) {
            String mr = record.get("mr");
            out.add(PromptTemplate.e2e(mr, record.get("ref"), restaurant(mr)));
        }
        return out;
    }

    /** The value inside {@code name[...]}, or "" when the meaning representation names no restaurant. */
    public static String restaurant(String mr) {
        Matcher m = RESTAURANT.matcher(mr);
        return m.find() ? m.group(1) : "";
    }

    public static Dataset load(Path dir) {
        return new Dataset(NAME, read(dir.resolve(TRAIN_FILE)), read(dir.resolve(EVAL_FILE)));
    }
}
