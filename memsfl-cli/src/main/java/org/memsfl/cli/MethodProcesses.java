package org.memsfl.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.settings.RunSettings;
import org.memsfl.sim.experiment.Experiment;
import org.memsfl.sim.experiment.MethodRun;
import org.memsfl.train.TaskEvalPlan;
import org.memsfl.util.AtomicFiles;
import org.memsfl.util.BadInputException;

/**
 * Runs each method of {@code compare} and {@code demo} in a JVM of its own: this JVM's java launcher, JVM options and
 * classpath, this process's environment (OMP/OpenBLAS threads, assets) and working directory, running the hidden
 * {@code compare-method} command on the run's settings written to {@code methods/<id>/input.json}. The child's output
 * (its progress bar and log lines) is copied to this process's stderr as it comes.
 *
 * <p>Why: in one process the methods' wall times depended on their order (issue 12: with sfl-v1 first, both methods
 * ran 20-30% slower than with memsfl first), because whatever a method leaves behind in the process (JIT profiles
 * and compiled code, the native heap) is paid for by the next one. A fresh process per method leaves nothing behind.
 *
 * <p>A child's failure ends the run with the child's exit code: bad input (2) with the child's one-line message,
 * anything else with {@link MethodProcessFailed}.
 */
final class MethodProcesses implements Experiment.MethodLauncher {

    /** What the child writes into its directory when it fails: {@code exit_code} and {@code message}. */
    static final String FAILURE_FILE = "failure.json";
    static final String INPUT_FILE = "input.json";

    private final RunSettings settings;
    private final TaskEvalPlan generation;
    private final int count;
    private final boolean debug;

    /**
     * @param count how many methods the run has (for the progress lines)
     * @param debug the children print a failure's stack trace
     */
    MethodProcesses(RunSettings settings, TaskEvalPlan generation, int count, boolean debug) {
        this.settings = settings;
        this.generation = generation;
        this.count = count;
        this.debug = debug;
    }

    /** The child's input: the run's settings, the generation plan (null: none) and the method's id. */
    record Input(RunSettings settings, TaskEvalPlan generation, String method) {
    }

    @Override
    public MethodRun launch(int index, String method, Path dir) {
        Path input = dir.resolve(INPUT_FILE);
        AtomicFiles.writeString(input, MethodRun.json(new Input(settings, generation, method)) + "\n");
        System.err.printf("memsfl: method %d of %d, %s, in a JVM of its own (%s)%n", index, count, method, dir);
        List<String> cmd = command();
        cmd.addAll(List.of(MethodProcessCommand.NAME, "--input", input.toString(), "--out", dir.toString(),
                "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        if (debug) {
            cmd.add("--debug");
        }
        int code;
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            Thread pump = new Thread(() -> copy(p.getInputStream()), "method-" + method + "-output");
            pump.start();
            code = p.waitFor();
            pump.join();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the process of method " + method + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while method " + method + " ran", e);
        }
        if (code == Main.EXIT_OK) {
            return MethodRun.read(dir);
        }
        Path failure = dir.resolve(FAILURE_FILE);
        if (Files.isRegularFile(failure)) {
            Map<?, ?> f = MethodRun.parse(failure, Map.class);
            String message = String.valueOf(f.get("message"));
            if (code == Main.EXIT_BAD_INPUT) {
                throw new BadInputException(message);
            }
            throw new MethodProcessFailed(code, "method " + method + " failed in its process (exit " + code + "): "
                    + message);
        }
        throw new MethodProcessFailed(code, "the process of method " + method + " exited with code " + code
                + " (its output is above)");
    }

    /** This JVM's java launcher, JVM options (less a debugger agent, whose port the child could not bind) and classpath. */
    static List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        return cmd;
    }

    /** Copies the child's output as it comes (bytes, so that its progress bar's carriage returns pass through). */
    private static void copy(InputStream in) {
        byte[] buf = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                System.err.write(buf, 0, n);
                System.err.flush();
            }
        } catch (IOException e) {
            // the child is gone; its exit code says what happened
        }
    }

    /** The failure record a child writes for its parent. */
    static Map<String, Object> failure(int code, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exit_code", code);
        m.put("message", message);
        return m;
    }
}
