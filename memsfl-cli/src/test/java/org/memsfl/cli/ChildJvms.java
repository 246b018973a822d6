package org.memsfl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.memsfl.model.Assets;

/**
 * Child JVMs for the tests that run memsfl as a user does, each command its own OS process on this test's classpath
 * (main class {@link Main}), with its stdout and stderr in files under a directory. {@link #close} ends every child
 * still alive (SIGTERM, then SIGKILL); {@link Process#destroyForcibly()} is SIGKILL on Linux, which is how the fault
 * tests kill a process with no chance to clean up.
 */
final class ChildJvms implements AutoCloseable {

    static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");

    private final Path dir;
    private final List<Process> children = new ArrayList<>();
    private final Map<String, Path> logs = new LinkedHashMap<>();
    private String classpath;

    ChildJvms(Path dir) {
        this.dir = dir;
    }

    /** Starts {@code memsfl <args>} as process {@code name}. */
    Process memsfl(String name, String... args) throws IOException {
        return start(name, Main.class.getName(), args);
    }

    /** Starts {@code mainClass} as a child JVM on this test's classpath, stdout and stderr to files under dir. */
    Process start(String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // several JVMs on a small machine: a modest heap, and the C1 compiler alone, which halves the CPU a JVM spends
        // starting up (loading libtorch and the CLI); the training arithmetic is native and Java's float arithmetic
        // is the same under either compiler
        cmd.add("-Xmx768m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:+ExitOnOutOfMemoryError"); // as the launcher runs memsfl
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        Path outLog = dir.resolve(name + ".out");
        Path errLog = dir.resolve(name + ".err");
        logs.put(name + ".out", outLog);
        logs.put(name + ".err", errLog);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(outLog.toFile()).redirectError(errLog.toFile());
        // one BLAS and one OpenMP thread each (DESIGN.md section 4): the JVMs share a small machine, and an oracle
        // must run with the deployment's thread settings (see MultiProcessDeploymentTest)
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("MEMSFL_ASSETS", Assets.root().toString());
        Process p = pb.start();
        children.add(p);
        return p;
    }

    /** The stderr of process {@code name} so far ("" before it wrote any). */
    String err(String name) throws IOException {
        Path f = logs.get(name + ".err");
        return f != null && Files.exists(f) ? Files.readString(f) : "";
    }

    /** The stdout of process {@code name} so far. */
    String out(String name) throws IOException {
        Path f = logs.get(name + ".out");
        return f != null && Files.exists(f) ? Files.readString(f) : "";
    }

    /** Waits until process {@code name}'s stderr contains {@code fragment}; fails if it exits first or at the timeout. */
    void awaitErr(String name, Process p, String fragment, Duration timeout) throws IOException, InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            if (err(name).contains(fragment)) {
                return;
            }
            if (!p.isAlive() && !err(name).contains(fragment)) {
                throw new AssertionError(name + " exited with code " + p.exitValue() + " before printing '" + fragment + "'");
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + " did not print '" + fragment + "' within " + timeout);
    }

    /** The port server process {@code name} printed on stderr ("listening on port N"), read with --port 0. */
    int awaitPort(String name, Process server, Duration timeout) throws IOException, InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            Matcher m = LISTENING.matcher(err(name));
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            if (!server.isAlive()) {
                throw new AssertionError("the server exited with code " + server.exitValue() + " before listening");
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the server printed no port within " + timeout);
    }

    /** Waits for {@code p} to exit; returns its exit code, or fails at the timeout. */
    static int exitCode(String what, Process p, Duration timeout) throws InterruptedException {
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(what + " did not exit within " + timeout);
        }
        return p.exitValue();
    }

    /** Every child's output, for a failing test's report. */
    void dumpLogs() {
        for (Map.Entry<String, Path> e : logs.entrySet()) {
            try {
                String text = Files.exists(e.getValue()) ? Files.readString(e.getValue()) : "(missing)";
                System.err.println("===== " + e.getKey() + " =====\n" + text);
            } catch (IOException ex) {
                System.err.println("===== " + e.getKey() + " ===== (unreadable: " + ex.getMessage() + ")");
            }
        }
    }

    /**
     * This test's classpath, with the project's own entries (its modules' jars and class directories, small) copied
     * under dir once: every child then runs the same code even if a build elsewhere reinstalls a module's jar while
     * the test runs (classes are loaded lazily, and a jar rewritten under a running JVM loses them).
     */
    private String classpath() throws IOException {
        if (classpath == null) {
            List<String> entries = new ArrayList<>();
            Path snapshot = dir.resolve("classpath");
            int i = 0;
            for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path p = Path.of(e);
                boolean own = Files.isDirectory(p) || e.contains("/org/memsfl/") || p.getFileName().toString().startsWith("memsfl-");
                if (!own || !Files.exists(p)) {
                    entries.add(e);
                    continue;
                }
                Path copy = snapshot.resolve((i++) + "-" + p.getFileName());
                if (Files.isDirectory(p)) {
                    try (var walk = Files.walk(p)) {
                        for (Path f : walk.toList()) {
                            Path to = copy.resolve(p.relativize(f).toString());
                            if (Files.isDirectory(f)) {
                                Files.createDirectories(to);
                            } else {
                                Files.copy(f, to);
                            }
                        }
                    }
                } else {
                    Files.createDirectories(snapshot);
                    Files.copy(p, copy);
                }
                entries.add(copy.toString());
            }
            classpath = String.join(java.io.File.pathSeparator, entries);
        }
        return classpath;
    }

    /** Ends every child still alive: SIGTERM, then SIGKILL after 5 s. */
    @Override
    public void close() throws InterruptedException {
        for (Process p : children) {
            if (p.isAlive()) {
                p.destroy();
            }
        }
        for (Process p : children) {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
