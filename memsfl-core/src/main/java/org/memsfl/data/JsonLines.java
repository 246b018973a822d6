package org.memsfl.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.memsfl.util.BadInputException;

/** JSON Lines: one JSON object per line; blank lines are skipped. */
public final class JsonLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonLines() {
    }

    /** One parsed line, able to name its file and line number when a field is wrong. */
    public record Line(Path file, int number, JsonNode node) {

        /** The string value of {@code field}; a missing, null or non-string value is bad input. */
        public String text(String field) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                throw new BadInputException(file + " line " + number + ": field '" + field
                        + "' is missing, expected a string");
            }
            if (!value.isTextual()) {
                throw new BadInputException(file + " line " + number + ": field '" + field
                        + "' is a " + value.getNodeType().name().toLowerCase() + ", expected a string");
            }
            return value.asText();
        }
    }

    public static List<Line> read(Path file) {
        List<Line> lines = new ArrayList<>();
        try {
            // a BOM is dropped and bad UTF-8 named by line and byte offset (TextFiles), as for every text input
            int number = 0;
            for (String raw : (Iterable<String>) org.memsfl.util.TextFiles.readString(file).lines()::iterator) {
                number++;
                if (raw.isBlank()) {
                    continue;
                }
                lines.add(new Line(file, number, parseObject(file, number, raw)));
            }
        } catch (IOException e) {
            throw new BadInputException("cannot read JSON lines file " + file + ": " + e.getMessage(), e);
        }
        return lines;
    }

    private static JsonNode parseObject(Path file, int number, String raw) {
        JsonNode node;
        try {
            node = JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + " line " + number + ": not valid JSON ("
                    + e.getOriginalMessage().lines().findFirst().orElse("") + ")", e);
        }
        if (!node.isObject()) {
            throw new BadInputException(file + " line " + number + ": expected a JSON object, got "
                    + node.getNodeType().name().toLowerCase());
        }
        return node;
    }
}
