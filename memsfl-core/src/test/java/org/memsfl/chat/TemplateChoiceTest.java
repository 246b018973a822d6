package org.memsfl.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.memsfl.util.BadInputException;

/** A {@code --template} value that looks like a path is read as a file, whatever its extension, and a missing one says so. */
class TemplateChoiceTest {

    @ParameterizedTest
    @ValueSource(strings = {"/nonexist", "./t.txt", "dir/sub", "none.jinja"})
    void aMissingFileIsNamedAsAMissingFile(String value) {
        assertThatThrownBy(() -> new TemplateChoice(value).resolve(null, "tiny"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(value + ": no such file")
                .hasMessageNotContaining("named chat templates");
    }

    @Test
    void aNameWithoutAPathIsANamedTemplate() {
        assertThat(TemplateChoice.isFile("tool_use")).isFalse();
        assertThatThrownBy(() -> new TemplateChoice("tool_use").resolve(null, "tiny"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("model tiny has no named chat templates");
    }

    @Test
    void aPathWithAnyExtensionIsReadAsATemplate(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("t.txt"), "{% for m in messages %}{{ m['content'] }}{% endfor %}");
        ChatTemplate t = new TemplateChoice(f.toString()).resolve(null, "tiny").orElseThrow();
        assertThat(t.name()).isEqualTo(f.toString());
    }
}
