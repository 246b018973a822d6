package org.memsfl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

class JsonlLoaderTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void readsDefaultAndCustomFields() throws IOException {
        Path f = write("qa.jsonl", "{\"prompt\": \"Q1 \", \"response\": \"A1\", \"user\": \"u1\"}\n\n"
                + "{\"prompt\": \"Q2 \", \"response\": \"A2\", \"user\": \"u2\"}\n");
        assertThat(JsonlLoader.read(f, JsonlFields.DEFAULT))
                .containsExactly(new Example("Q1 ", "A1", ""), new Example("Q2 ", "A2", ""));
        assertThat(JsonlLoader.read(f, new JsonlFields("response", "prompt", "user")))
                .containsExactly(new Example("A1", "Q1 ", "u1"), new Example("A2", "Q2 ", "u2"));
        assertThat(JsonlLoader.read(f, new JsonlFields(null, "response", null)))
                .containsExactly(Example.text("A1"), Example.text("A2"));
    }

    @Test
    void missingFieldNamesFileLineAndField() throws IOException {
        Path f = write("bad.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n"
                + "\n"
                + "{\"prompt\": \"a\", \"answer\": \"b\"}\n");
        assertThatThrownBy(() -> JsonlLoader.read(f, JsonlFields.DEFAULT))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("line 3")
                .hasMessageContaining("'response'")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> JsonlLoader.read(f, new JsonlFields("prompt", "response", "user")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("line 1")
                .hasMessageContaining("'user'");
    }

    @Test
    void wrongTypesAndBrokenJsonAreBadInput() throws IOException {
        Path number = write("n.jsonl", "{\"prompt\": \"a\", \"response\": 3}\n");
        assertThatThrownBy(() -> JsonlLoader.read(number, JsonlFields.DEFAULT))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("line 1")
                .hasMessageContaining("number");
        Path broken = write("b.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \n");
        assertThatThrownBy(() -> JsonlLoader.read(broken, JsonlFields.DEFAULT))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(broken.toString())
                .hasMessageContaining("line 2")
                .hasMessageNotContaining("\n");
        Path array = write("a.jsonl", "[1, 2]\n");
        assertThatThrownBy(() -> JsonlLoader.read(array, JsonlFields.DEFAULT))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("expected a JSON object");
    }

    @Test
    void textFileSplitsOnBlankLines() throws IOException {
        Path f = write("notes.txt", "first chunk\nstill first\n\n\n  \nsecond\r\n\r\nthird\n");
        assertThat(TextLoader.read(f)).containsExactly(Example.text("first chunk\nstill first"),
                Example.text("second"), Example.text("third"));
        assertThat(TextLoader.load(f).name()).isEqualTo("notes");
        Path empty = write("empty.txt", "\n\n");
        assertThatThrownBy(() -> TextLoader.read(empty)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(empty.toString());
    }

    @Test
    void loadHoldsOutAtLeastOneExample() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            text.append("{\"prompt\": \"p").append(i).append("\", \"response\": \"r\"}\n");
        }
        Dataset d = JsonlLoader.load(write("ten.jsonl", text.toString()), JsonlFields.DEFAULT);
        assertThat(d.name()).isEqualTo("ten");
        assertThat(d.eval()).hasSize(1);
        assertThat(d.train()).hasSize(9);
        assertThat(List.copyOf(d.all())).hasSize(10);
    }
}
