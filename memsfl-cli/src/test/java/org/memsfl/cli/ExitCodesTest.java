package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Exit codes: 2 only for bad input ({@link BadInputException}, anywhere in the cause chain) and usage errors; every
 * other exception, an {@link IllegalArgumentException} from inside the system included, is an internal error (1)
 * that says so and points at {@code --debug}.
 */
class ExitCodesTest {

    @Command(name = "probe")
    static final class Probe implements Callable<Integer> {
        @Option(names = "--throw")
        String what = "none";

        @Override
        public Integer call() {
            switch (what) {
                case "bad-input" -> throw new BadInputException("field 'x' must be > 0, got -1");
                case "wrapped-bad-input" -> throw new IllegalStateException("while loading",
                        new BadInputException("file f.bin is truncated"));
                case "argument-bug" -> throw new IllegalArgumentException("cut must be in [0, 5], got 9");
                case "state-bug" -> throw new IllegalStateException("weight missing");
                default -> {
                    return 0;
                }
            }
        }
    }

    record Run(int code, String err) {
    }

    static Run run(boolean debug, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.configure(new CommandLine(new Probe()), debug);
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    @Test
    void badInputIsTwoWithOneLineAndNoTrace() {
        for (String kind : new String[] {"bad-input", "wrapped-bad-input"}) {
            Run r = run(false, "--throw", kind);
            assertThat(r.code()).as(kind).isEqualTo(Main.EXIT_BAD_INPUT);
            assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).doesNotContain("internal error").doesNotContain("\tat ");
        }
        assertThat(run(false, "--throw", "wrapped-bad-input").err()).contains("file f.bin is truncated");
    }

    @Test
    void anIllegalArgumentFromInsideIsAnInternalErrorWithTheDebugHint() {
        for (String kind : new String[] {"argument-bug", "state-bug"}) {
            Run r = run(false, "--throw", kind);
            assertThat(r.code()).as(kind).isEqualTo(Main.EXIT_INTERNAL);
            assertThat(r.err()).contains("internal error").contains("--debug").doesNotContain("\tat ");
        }
        assertThat(run(true, "--throw", "argument-bug").err()).contains("\tat ");
    }

    @Test
    void usageErrorsAreTwo() {
        assertThat(run(false, "--nope").code()).isEqualTo(Main.EXIT_BAD_INPUT);
    }

    @Test
    void anOptionOutOfItsRecordsRangeIsBadInput() {
        Cli.Result r = Cli.run("plan", "--model", "random:gpt2", "--fleet", "paper-5", "--lora-rank", "0");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("rank").doesNotContain("internal error");
    }

    /** A bad --aggregation is refused with the other settings, before the run writes anything into --out. */
    @Test
    void anUnknownAggregationIsRefusedBeforeAnythingIsWritten(@TempDir Path tmp) {
        Path out = tmp.resolve("run");
        Cli.Result r = Cli.run("simulate", "--aggregation", "fedsum", "--rounds", "1", "--local-steps", "1",
                "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("unknown aggregation strategy 'fedsum'").doesNotContain("internal error");
        assertThat(out).as("nothing written").satisfies(p -> assertThat(Files.exists(p.resolve("manifest.json"))).isFalse());
    }
}
