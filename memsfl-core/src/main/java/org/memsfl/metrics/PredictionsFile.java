package org.memsfl.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.util.AtomicFiles;
import org.memsfl.util.BadInputException;

/**
 * {@code predictions.jsonl}: one JSON object per line with {@code prompt} (string, optional on read),
 * {@code references} (array of strings, or one string), {@code prediction} (string) and {@code client_key} (string,
 * optional), and {@code method} (string, optional: a comparison writes every method's final answers into one
 * file). Any system's outputs in this form can be scored with the same code ({@code memsfl score}).
 */
public final class PredictionsFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PredictionsFile() {
    }

    /** Writes through a temporary file, so a reader never sees half a file. */
    public static void write(Path file, List<Prediction> predictions) {
        write(file, Map.of("", predictions));
    }

    /**
     * Several methods' predictions in one file, each line with a {@code method} field (left out for the key "");
     * {@link #readByMethod} splits them again.
     */
    public static void write(Path file, Map<String, List<Prediction>> byMethod) {
        StringBuilder out = new StringBuilder();
        byMethod.forEach((method, predictions) -> {
            for (Prediction p : predictions) {
                out.append(line(method, p)).append('\n');
            }
        });
        AtomicFiles.writeString(file, out.toString());
    }

    private static String line(String method, Prediction p) {
        Map<String, Object> line = new LinkedHashMap<>();
        if (!method.isEmpty()) {
            line.put("method", method);
        }
        line.put("prompt", p.prompt());
        line.put("references", p.references());
        line.put("prediction", p.prediction());
        if (!p.clientKey().isEmpty()) {
            line.put("client_key", p.clientKey());
        }
        try {
            return JSON.writeValueAsString(line);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise a prediction: " + e.getMessage(), e);
        }
    }

    /** Reads every non-blank line; a bad line is reported with its file, line number and field. */
    public static List<Prediction> read(Path file) {
        List<Prediction> out = new ArrayList<>();
        readByMethod(file).values().forEach(out::addAll);
        return out;
    }

    /** Predictions grouped by their {@code method} field ("" for lines without one), in order of appearance. */
    public static Map<String, List<Prediction>> readByMethod(Path file) {
        Map<String, List<Prediction>> out = new LinkedHashMap<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String raw;
            int number = 0;
            while ((raw = in.readLine()) != null) {
                number++;
                if (!raw.isBlank()) {
                    JsonNode node = parseObject(file, number, raw);
                    JsonNode method = node.get("method");
                    out.computeIfAbsent(method != null && method.isTextual() ? method.asText() : "",
                            k -> new ArrayList<>()).add(parse(file, number, node));
                }
            }
        } catch (NoSuchFileException e) {
            throw new BadInputException("predictions file " + file + " does not exist");
        } catch (IOException e) {
            throw new BadInputException("cannot read predictions file " + file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new BadInputException("predictions file " + file + " holds no predictions, expected one JSON object "
                    + "per line with fields 'prediction' and 'references'");
        }
        return out;
    }

    private static JsonNode parseObject(Path file, int number, String raw) {
        String where = file + " line " + number;
        JsonNode node;
        try {
            node = JSON.readTree(raw);
        } catch (IOException e) {
            throw new BadInputException(where + ": not valid JSON", e);
        }
        if (node == null || !node.isObject()) {
            throw new BadInputException(where + ": expected a JSON object with 'prediction' and 'references'");
        }
        return node;
    }

    private static Prediction parse(Path file, int number, JsonNode node) {
        String where = file + " line " + number;
        JsonNode prediction = node.get("prediction");
        if (prediction == null || !prediction.isTextual()) {
            throw new BadInputException(where + ": field 'prediction' is missing or not a string");
        }
        JsonNode refs = node.get("references");
        List<String> references = new ArrayList<>();
        if (refs != null && refs.isTextual()) {
            references.add(refs.asText());
        } else if (refs != null && refs.isArray() && !refs.isEmpty()) {
            for (JsonNode r : refs) {
                if (!r.isTextual()) {
                    throw new BadInputException(where + ": field 'references' holds a " + r.getNodeType().name()
                            .toLowerCase() + ", expected strings");
                }
                references.add(r.asText());
            }
        } else {
            throw new BadInputException(where + ": field 'references' is missing or empty, expected a non-empty array "
                    + "of strings");
        }
        JsonNode prompt = node.get("prompt");
        JsonNode key = node.get("client_key");
        return new Prediction(prompt != null && prompt.isTextual() ? prompt.asText() : "", references,
                prediction.asText(), key != null && key.isTextual() ? key.asText() : "");
    }
}
