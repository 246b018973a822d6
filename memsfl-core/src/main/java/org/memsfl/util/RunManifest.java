package org.memsfl.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Provenance written beside every result (in the spirit of Tribuo's provenance): the command and its config, the
 * seed, the git commit, JVM, OS/arch, library versions and thread settings.
 */
public final class RunManifest {

    public static final String PYTORCH_VERSION = "2.10.0-1.5.13";

    private RunManifest() {
    }

    public static Map<String, Object> create(String command, Map<String, Object> config, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("command", command);
        m.put("seed", seed);
        m.put("config", config);
        m.put("git_commit", gitCommit());
        m.put("created_at", Instant.now().toString());
        m.put("java_version", System.getProperty("java.version"));
        m.put("java_vm", System.getProperty("java.vm.name"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("arch", System.getProperty("os.arch"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        Map<String, Object> libs = new LinkedHashMap<>();
        libs.put("bytedeco_pytorch", PYTORCH_VERSION);
        libs.put("memsfl", RunManifest.class.getPackage().getImplementationVersion() == null ? "0.1.0-SNAPSHOT"
                : RunManifest.class.getPackage().getImplementationVersion());
        m.put("libraries", libs);
        Map<String, Object> threads = new LinkedHashMap<>();
        threads.put("OPENBLAS_NUM_THREADS", System.getenv("OPENBLAS_NUM_THREADS"));
        threads.put("OMP_NUM_THREADS", System.getenv("OMP_NUM_THREADS"));
        threads.put("OPENBLAS_CORETYPE", System.getenv("OPENBLAS_CORETYPE"));
        m.put("threads", threads);
        return m;
    }

    public static void write(Path dir, String command, Map<String, Object> config, long seed) {
        Json.write(dir.resolve("manifest.json"), create(command, config, seed));
    }

    /** The commit of the checkout, from the launcher's property or git; "unknown" outside a repository. */
    public static String gitCommit() {
        String fromLauncher = System.getProperty("memsfl.commit");
        if (fromLauncher != null && !fromLauncher.isBlank()) {
            return fromLauncher;
        }
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unknown";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** Resident set size of this process in bytes; -1 where unavailable. Reads through {@link ProcessMemory}. */
    public static long rssBytes() {
        return ProcessMemory.rssBytes();
    }
}
