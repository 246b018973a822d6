package org.memsfl.sim.experiment;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.memsfl.util.AtomicFiles;

/**
 * One method's run in a process of its own, as that process hands it back: its {@link MethodResult} and the seconds of
 * its untimed warm-up. Written by the child as {@code method-result.json} in its own directory and read by the parent,
 * through Jackson's record support (every component is a record, a list, a map or a number), so that the parent
 * rebuilds exactly the object an in-process run would have made: doubles are written in their shortest round-trip
 * form and NaN as the string "NaN", so every loss comes back bit for bit.
 *
 * @param result  the method's rounds, memory, wall time and task evaluation
 * @param warmUpS seconds of the warm-up round and evaluation before the timed rounds (counted in no wall time)
 */
public record MethodRun(MethodResult result, double warmUpS) {

    /** The file a method's process writes into its directory. */
    public static final String FILE = "method-result.json";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Writes {@code dir/method-result.json} through a temporary file. */
    public void write(Path dir) {
        try {
            AtomicFiles.writeString(dir.resolve(FILE), MAPPER.writeValueAsString(this) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads what {@link #write} wrote. */
    public static MethodRun read(Path dir) {
        try {
            return MAPPER.readValue(dir.resolve(FILE).toFile(), MethodRun.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /** The JSON text of any value with this mapper (the child's input file uses it too). */
    public static String json(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a value written by {@link #json}. */
    public static <T> T parse(Path file, Class<T> type) {
        try {
            return MAPPER.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
