package org.memsfl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

class CsvTest {

    @TempDir
    Path dir;

    private Path write(String text) throws IOException {
        return Files.writeString(dir.resolve("t.csv"), text);
    }

    @Test
    void quotedFieldsHoldCommasQuotesAndLineBreaks() throws IOException {
        Path f = write("mr,ref\r\n"
                + "\"name[A], food[B]\",\"He said \"\"hi\"\", then left.\"\r\n"
                + "plain,\"two\nlines\"\r\n"
                + "\"\",last\r\n"
                + "\r\n");
        List<Map<String, String>> rows = Csv.readRecords(f, List.of("mr", "ref"));
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0)).containsEntry("mr", "name[A], food[B]")
                .containsEntry("ref", "He said \"hi\", then left.");
        assertThat(rows.get(1)).containsEntry("mr", "plain").containsEntry("ref", "two\nlines");
        assertThat(rows.get(2)).containsEntry("mr", "").containsEntry("ref", "last");
    }

    @Test
    void lastRecordWithoutNewlineAndEmptyTrailingField() throws IOException {
        List<Map<String, String>> rows = Csv.readRecords(write("a,b\nx,\ny,z"), List.of("a", "b"));
        assertThat(rows).containsExactly(Map.of("a", "x", "b", ""), Map.of("a", "y", "b", "z"));
    }

    @Test
    void missingColumnNamesTheFileAndColumn() throws IOException {
        Path f = write("mr,text\nx,y\n");
        assertThatThrownBy(() -> Csv.readRecords(f, List.of("mr", "ref")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("'ref'");
    }

    @Test
    void malformedRecordsNameTheLine() throws IOException {
        Path unclosed = write("a,b\n1,2\n3,\"never closed\n");
        assertThatThrownBy(() -> Csv.readRecords(unclosed, List.of("a")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("never closed");
        Path wrongCount = write("a,b\n1,2\n3,4,5\n");
        assertThatThrownBy(() -> Csv.readRecords(wrongCount, List.of("a")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("3 fields, expected 2");
        Path strayQuote = write("a,b\n1,\"2\"x\n");
        assertThatThrownBy(() -> Csv.readRecords(strayQuote, List.of("a")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("line 2");
    }
}
