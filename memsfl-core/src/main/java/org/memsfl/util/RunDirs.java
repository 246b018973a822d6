package org.memsfl.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The output folder of a run: an earlier run's results are never replaced unless the user asks. */
public final class RunDirs {

    /** Files whose presence marks a folder as holding a run's results. */
    public static final List<String> RESULT_FILES = List.of("manifest.json", "summary.json", "metrics.jsonl",
            "adapter", "report.html", "predictions.jsonl", "metrics.json", "adapter_config.json",
            "adapter_model.safetensors");

    private RunDirs() {
    }

    /**
     * Checks that {@code out} may receive a new run: it does not exist, is empty, or holds no run results; with
     * {@code overwrite} anything goes. Writes nothing, so callers check before they validate the rest.
     *
     * @throws BadInputException naming the folder and the earlier run's file
     */
    public static void requireFresh(Path out, boolean overwrite) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new BadInputException(n -> n.of(Setting.OUT) + " " + out + " is a file; expected a directory");
        }
        if (overwrite || !Files.isDirectory(out)) {
            return;
        }
        for (String f : RESULT_FILES) {
            if (Files.exists(out.resolve(f))) {
                throw new BadInputException(n -> n.of(Setting.OUT) + " " + out + " holds an earlier run (" + f
                        + "); choose another folder or pass " + n.of(Setting.OVERWRITE) + " to replace it");
            }
        }
        try (Stream<Path> s = Files.list(out)) {
            s.findAny(); // readable
        } catch (IOException e) {
            throw new BadInputException(n -> n.of(Setting.OUT) + " " + out + " cannot be listed: " + e.getMessage(), e);
        }
    }
}
