package org.memsfl.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.memsfl.util.Json;

/**
 * Runs one benchmark variant in a child JVM of its own (so its peak RSS is its own), echoing its output with a
 * {@code [label]} prefix, and reads back the JSON object the child wrote to {@code result}.
 */
final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * This JVM's java launcher, {@code jvmOptions}, the javacpp cache and commit properties it was given, this
     * classpath and {@code main}: what to append the child's arguments to.
     */
    static List<String> command(List<String> jvmOptions, Class<?> main) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        for (String p : List.of("org.bytedeco.javacpp.cachedir", "memsfl.commit")) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        return cmd;
    }

    /** The allocator variables a child runs with: its own setting, else this process's (null: unset). */
    static Map<String, Object> allocatorEnv(Map<String, String> childEnv) {
        Map<String, Object> alloc = new java.util.LinkedHashMap<>();
        for (String e : List.of("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "LD_PRELOAD")) {
            alloc.put(e, childEnv.getOrDefault(e, System.getenv(e)));
        }
        return alloc;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> run(List<String> cmd, Map<String, String> env, String label, Path result)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    System.err.println("  [" + label + "] " + line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        pump.start();
        if (!p.waitFor(40, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("child " + label + " ran past 40 minutes");
        }
        pump.join();
        if (p.exitValue() != 0) {
            throw new IllegalStateException("child " + label + " exited with " + p.exitValue());
        }
        Map<String, Object> m = Json.MAPPER.readValue(result.toFile(), Map.class);
        Files.deleteIfExists(result);
        m.put("child_wall_seconds", (System.nanoTime() - t0) / 1e9);
        return m;
    }

    /** Positional argument {@code i}, or {@code dflt} when there are fewer. */
    static String arg(String[] a, int i, String dflt) {
        return a.length > i ? a[i] : dflt;
    }
}
