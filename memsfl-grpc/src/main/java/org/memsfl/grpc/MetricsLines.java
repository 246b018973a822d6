package org.memsfl.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.memsfl.util.AtomicFiles;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;

/**
 * {@code metrics.jsonl} on resume: lines are appended one per round, so a crash can leave the last line cut short.
 * Such a last line is dropped with a message (the checkpoint restores the round it belonged to); a damaged line
 * anywhere else is bad input naming the line.
 */
final class MetricsLines {

    private MetricsLines() {
    }

    /**
     * Rewrites {@code file} as of a checkpoint: the lines of rounds before {@code completed}, then {@code line}.
     *
     * @throws BadInputException for a line other than the last that is not JSON
     */
    static void restore(Path file, int completed, Map<String, Object> line, Consumer<String> log) {
        StringBuilder sb = new StringBuilder();
        if (Files.exists(file)) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
            int last = lines.size() - 1;
            while (last >= 0 && lines.get(last).isBlank()) {
                last--;
            }
            for (int i = 0; i <= last; i++) {
                String l = lines.get(i);
                if (l.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = Json.MAPPER.readTree(l);
                } catch (JsonProcessingException e) {
                    if (i == last) {
                        log.accept("repaired " + file + ": dropped its last line, cut short by an interrupted write ("
                                + l.length() + " characters)");
                        break;
                    }
                    throw new BadInputException(file + ":" + (i + 1) + ": not a JSON line: "
                            + e.getOriginalMessage(), e);
                }
                if (n.path("round").asInt() < completed) {
                    sb.append(l).append('\n');
                }
            }
        }
        sb.append(Json.compact(line)).append('\n');
        AtomicFiles.writeString(file, sb.toString());
    }
}
