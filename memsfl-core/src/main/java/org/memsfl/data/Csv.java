package org.memsfl.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.util.BadInputException;

/**
 * RFC 4180 CSV: fields separated by commas, quoted fields may hold commas, line breaks and doubled quotes;
 * records end with LF or CRLF. The first record is the header.
 */
public final class Csv {

    private Csv() {
    }

    /** Records of {@code file} as column -> value maps; every column in {@code required} must be in the header. */
    public static List<Map<String, String>> readRecords(Path file, List<String> required) {
        String text;
        try {
            text = org.memsfl.util.TextFiles.readString(file);
        } catch (IOException e) {
            throw new BadInputException("cannot read CSV file " + file + ": " + e.getMessage(), e);
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<Row> rows = parse(text, file);
        if (rows.isEmpty()) {
            throw new BadInputException("CSV file " + file + " is empty, expected a header with columns " + required);
        }
        List<String> header = rows.get(0).fields();
        Map<String, Integer> column = new HashMap<>();
        for (int i = 0; i < header.size(); i++) {
            column.putIfAbsent(header.get(i).strip(), i);
        }
        for (String name : required) {
            if (!column.containsKey(name)) {
                throw new BadInputException("CSV file " + file + " has no column '" + name + "' (header: "
                        + String.join(",", header) + ")");
            }
        }
        List<Map<String, String>> records = new ArrayList<>(rows.size() - 1);
        for (Row row : rows.subList(1, rows.size())) {
            if (row.fields().size() != header.size()) {
                throw new BadInputException("CSV file " + file + " line " + row.line() + ": " + row.fields().size()
                        + " fields, expected " + header.size() + " as in the header");
            }
            Map<String, String> record = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                record.put(header.get(i).strip(), row.fields().get(i));
            }
            records.add(record);
        }
        return records;
    }

    /** A record and the line it starts on (records with quoted line breaks span several lines). */
    record Row(int line, List<String> fields) {
    }

    static List<Row> parse(String text, Path file) {
        List<Row> rows = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int line = 1;
        int rowStart = 1;
        boolean quoted = false;
        boolean fieldWasQuoted = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i += 2;
                        continue;
                    }
                    quoted = false;
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    field.append(c);
                }
                i++;
                continue;
            }
            if (c == '"') {
                if (field.length() > 0 || fieldWasQuoted) {
                    throw new BadInputException("CSV file " + file + " line " + line
                            + ": quote inside an unquoted field, expected the whole field in quotes with \"\" escapes");
                }
                quoted = true;
                fieldWasQuoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                fieldWasQuoted = false;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                fields.add(field.toString());
                addUnlessBlank(rows, rowStart, fields, fieldWasQuoted);
                fields = new ArrayList<>();
                field.setLength(0);
                fieldWasQuoted = false;
                line++;
                rowStart = line;
            } else {
                if (fieldWasQuoted) {
                    throw new BadInputException("CSV file " + file + " line " + line
                            + ": text after a closing quote, expected a comma or the end of the record");
                }
                field.append(c);
            }
            i++;
        }
        if (quoted) {
            throw new BadInputException("CSV file " + file + " line " + rowStart
                    + ": quoted field is never closed, expected a closing \"");
        }
        if (field.length() > 0 || !fields.isEmpty() || fieldWasQuoted) {
            fields.add(field.toString());
            addUnlessBlank(rows, rowStart, fields, fieldWasQuoted);
        }
        return rows;
    }

    /** A line with nothing on it is not a record (e.g. a trailing blank line), but a lone "" field is. */
    private static void addUnlessBlank(List<Row> rows, int line, List<String> fields, boolean lastWasQuoted) {
        if (fields.size() == 1 && fields.get(0).isEmpty() && !lastWasQuoted) {
            return;
        }
        rows.add(new Row(line, List.copyOf(fields)));
    }
}
