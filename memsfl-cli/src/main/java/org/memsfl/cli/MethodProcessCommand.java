package org.memsfl.cli;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.memsfl.sim.SimContext;
import org.memsfl.sim.experiment.Experiment;
import org.memsfl.sim.experiment.MethodRun;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Hidden: the body of one method's own process under {@code compare} and {@code demo} ({@link MethodProcesses}
 * starts it). Reads the run's settings from {@code --input}, runs the method after one untimed round of it, and writes
 * {@link MethodRun#FILE} and metrics.jsonl into {@code --out}. A failure is written to {@code failure.json} (exit code
 * and message) for the parent to report once, and ends the process with the code the parent then exits with.
 */
@Command(name = MethodProcessCommand.NAME, hidden = true,
        description = "Internal: run one method of compare in a process of its own.")
public final class MethodProcessCommand implements Callable<Integer> {

    static final String NAME = "compare-method";

    @Option(names = "--input", required = true, description = "The run's settings, generation plan and method (JSON).")
    Path input;

    @Option(names = "--out", required = true, description = "The method's own directory.")
    Path out;

    @Option(names = "--debug", description = "Print stack traces of errors.")
    boolean debug;

    @Option(names = "--parent-pid", description = "The process that collects this method's result; this one stops when it"
            + " ends (0: none watched, for a run inside that process).")
    long parentPid;

    @Override
    public Integer call() {
        stopWithParent(parentPid);
        try {
            MethodProcesses.Input in = MethodRun.parse(input, MethodProcesses.Input.class);
            try (SimContext ctx = new SimContext(in.settings());
                 ProgressBar bar = new ProgressBarBuilder().setTaskName(in.method()).setInitialMax(in.settings().rounds())
                         .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err))
                         .setUpdateIntervalMillis(1000).build()) {
                new Experiment(ctx, out, line -> System.err.println("memsfl: " + line), in.generation())
                        .runAlone(in.method(), rm -> {
                            bar.step();
                            bar.setExtraMessage(String.format(" r%d eval %.3f", rm.round(), rm.evalLoss()));
                        });
            }
            return Main.EXIT_OK;
        } catch (RuntimeException e) {
            Throwable cause = e;
            while (!(cause instanceof BadInputException) && cause.getCause() != null && cause != cause.getCause()) {
                cause = cause.getCause();
            }
            boolean bad = cause instanceof BadInputException;
            int code = bad ? Main.EXIT_BAD_INPUT : Main.EXIT_INTERNAL;
            Json.write(out.resolve(MethodProcesses.FAILURE_FILE),
                    MethodProcesses.failure(code, bad ? FlagNames.message((BadInputException) cause) : e.toString()));
            if (debug) {
                e.printStackTrace();
            }
            return code;
        }
    }

    /**
     * Ends this process when the process that started it ends: only that process collects this method's result, so
     * once it is gone (killed with SIGTERM or SIGKILL, or crashed) training on would only hold the machine. The pid
     * comes from the parent itself ({@code --parent-pid}): a parent killed while this JVM was starting has already
     * left it to init, so asking for "the parent" then would watch init. The JDK watches a process that is not its own child by polling.
     */
    private static void stopWithParent(long pid) {
        if (pid <= 0) {
            return;
        }
        Optional<ProcessHandle> parent = ProcessHandle.of(pid);
        if (parent.isEmpty()) {
            stop(pid);
        }
        parent.ifPresent(p -> p.onExit().thenRun(() -> stop(p.pid())));
    }

    private static void stop(long pid) {
        System.err.println("memsfl: the process that started this method (pid " + pid + ") has ended; stopping");
        Runtime.getRuntime().halt(Main.EXIT_INTERNAL);
    }
}
