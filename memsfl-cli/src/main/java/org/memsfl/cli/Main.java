package org.memsfl.cli;

import java.io.PrintWriter;
import org.memsfl.engine.Engine;
import org.memsfl.util.BadInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point. Exit codes: 0 ok, 2 bad input or usage (one line on stderr, no stack trace unless {@code --debug}),
 * 1 internal error; compare and demo end with a method's process's own code when that process failed otherwise.
 */
@Command(name = "memsfl", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "memsfl 0.1.0",
        description = "Memory-efficient split federated LoRA fine-tuning of decoder-only LLMs (arXiv 2506.02940).",
        subcommands = {DemoCommand.class, PlanCommand.class, SimulateCommand.class, CompareCommand.class, InfoCommand.class, GenerateCommand.class, EvalCommand.class, ScoreCommand.class, FinetuneCommand.class, TokenizeCommand.class,
                ExportCommand.class, ServerCommand.class, DeviceCommand.class, BenchCommand.class, MethodProcessCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_INTERNAL = 1;
    public static final int EXIT_BAD_INPUT = 2;
    /** Training stopped before its last round for a reason that is neither bad input nor a bug (no quorum, no storage). */
    public static final int EXIT_STOPPED = 4;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * The application's one SLF4J binding is slf4j-simple (the libraries, DJL's tokenizers and jinjava, log through
     * SLF4J; without a binding SLF4J printed three "No SLF4J providers" lines on every run). Quiet by default: only
     * warnings and errors, on stderr, one line each; {@code --debug} shows debug messages with the logger's name.
     * Set before the first logger exists (slf4j-simple reads its settings once); a -D given by the user wins.
     */
    static void configureLogging(boolean debug) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "warn"));
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.showThreadName", Boolean.toString(debug));
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
        System.setProperty("org.slf4j.simpleLogger.levelInBrackets", "true");
        // DJL's tokenizer library probes for GPUs when it loads and warns twice on a machine without CUDA; those
        // lines would stand before every one-line error of a command that reads a tokenizer.json
        String cuda = "org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils";
        System.setProperty(cuda, System.getProperty(cuda, debug ? "debug" : "error"));
    }

    /** Runs a command line and returns its exit code (tests call this in-process). */
    public static int execute(String... args) {
        System.setProperty("ai.djl.offline", "true");
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        configureLogging(debug);
        CommandLine cl = configure(new CommandLine(new Main()), debug);
        Engine.init();
        return cl.execute(args);
    }

    /**
     * Installs the exit-code rules on a command line: a {@link BadInputException} anywhere in the cause chain is bad
     * input (2, its message on one line); picocli's usage errors are 2; anything else, an
     * {@link IllegalArgumentException} included, is an internal error (1) with a hint to rerun with {@code --debug}.
     */
    static CommandLine configure(CommandLine cl, boolean debug) {
        cl.setExitCodeExceptionMapper(t -> t instanceof BadInputException ? EXIT_BAD_INPUT : EXIT_INTERNAL);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            Throwable cause = ex;
            while (!(cause instanceof BadInputException) && cause.getCause() != null && cause != cause.getCause()) {
                cause = cause.getCause();
            }
            boolean bad = cause instanceof BadInputException;
            Throwable shown = cause instanceof BadInputException ? cause : ex;
            err.println(cmd.getCommandSpec().qualifiedName() + ": " + (bad ? FlagNames.message((BadInputException) shown)
                    : "internal error: " + shown.getMessage()));
            if (debug) {
                ex.printStackTrace(err);
            } else if (!bad) {
                err.println("(run again with --debug for the stack trace)");
            }
            err.flush();
            // a method's own process (compare, demo) that ended otherwise: the run ends with its code
            Throwable child = ex;
            while (!(child instanceof MethodProcessFailed) && child.getCause() != null && child != child.getCause()) {
                child = child.getCause();
            }
            return bad ? EXIT_BAD_INPUT : child instanceof MethodProcessFailed f ? f.exitCode() : EXIT_INTERNAL;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("memsfl: " + ex.getMessage());
            err.println("(see --help)");
            err.flush();
            return EXIT_BAD_INPUT;
        });
        return cl;
    }
}
