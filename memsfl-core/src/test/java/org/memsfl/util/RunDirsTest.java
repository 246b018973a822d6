package org.memsfl.util;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An earlier run's folder is refused unless overwrite is asked for (the CLI: --overwrite); new, empty and unrelated folders are fine. */
class RunDirsTest {

    @TempDir
    Path dir;

    @Test
    void anEarlierRunIsNeverReplacedUnasked() throws Exception {
        Files.writeString(dir.resolve("manifest.json"), "{}");
        assertThatThrownBy(() -> RunDirs.requireFresh(dir, false)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("earlier run").hasMessageContaining("manifest.json")
                .hasMessageContaining("'overwrite'")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((BadInputException) e).message(
                        s -> s == Setting.OUT ? "--out" : "--overwrite")).startsWith("--out " + dir)
                        .contains("pass --overwrite to replace it"));
        assertThatCode(() -> RunDirs.requireFresh(dir, true)).doesNotThrowAnyException();
    }

    @Test
    void newEmptyOrUnrelatedFoldersAreFine() throws Exception {
        assertThatCode(() -> RunDirs.requireFresh(dir.resolve("new"), false)).doesNotThrowAnyException();
        assertThatCode(() -> RunDirs.requireFresh(dir, false)).doesNotThrowAnyException();
        Files.writeString(dir.resolve("notes.txt"), "mine");
        assertThatCode(() -> RunDirs.requireFresh(dir, false)).doesNotThrowAnyException();
        assertThatThrownBy(() -> RunDirs.requireFresh(dir.resolve("notes.txt"), false))
                .isInstanceOf(BadInputException.class).hasMessageContaining("is a file");
    }
}
