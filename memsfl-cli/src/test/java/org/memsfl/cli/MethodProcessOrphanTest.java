package org.memsfl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A method's own process under {@code compare} ends when compare ends: compare is killed with SIGKILL (no shutdown
 * hook can run) just as its first method's process starts, and that process must then stop by itself instead of
 * training on as an orphan. Found by hand: before, it trained to the end of its rounds with nobody to collect the
 * result; and a first fix that watched "the parent" missed a parent killed while the JVM was starting.
 */
class MethodProcessOrphanTest {

    @TempDir
    Path dir;

    @Test
    void aMethodProcessStopsWhenCompareIsKilled() throws Exception {
        Path out = dir.resolve("run");
        try (ChildJvms jvms = new ChildJvms(dir)) {
            Process compare = jvms.memsfl("compare", "compare", "--rounds", "200", "--methods", "memsfl,sfl-v1",
                    "--eval-examples", "8", "--out", out.toString());
            Optional<ProcessHandle> method = Optional.empty();
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            while (method.isEmpty() && compare.isAlive() && System.nanoTime() < until) {
                Thread.sleep(200);
                if (Files.exists(out.resolve("methods").resolve("memsfl").resolve(MethodProcesses.INPUT_FILE))) {
                    method = compare.toHandle().children().findFirst();
                }
            }
            assertThat(method).as(jvms.err("compare")).isPresent();
            try {
                compare.destroyForcibly().waitFor();
                // generous: the JDK polls a non-child process, and a loaded CI machine may be slow to schedule it
                assertThat(method.get().onExit().get(2, TimeUnit.MINUTES).isAlive()).isFalse();
            } finally {
                method.get().destroyForcibly(); // never leave an orphan behind a failed run of this test
            }
        }
    }
}
