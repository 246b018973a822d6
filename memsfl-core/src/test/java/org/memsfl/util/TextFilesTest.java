package org.memsfl.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.data.DataResolver;
import org.memsfl.data.Dataset;
import org.memsfl.data.Example;
import org.memsfl.data.TextLoader;

/** A UTF-8 BOM is accepted by every text loader; bytes that are not UTF-8 are named by file, line and byte offset. */
class TextFilesTest {

    static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    @TempDir
    Path dir;

    Path write(String name, byte[]... parts) throws Exception {
        Path f = dir.resolve(name);
        try (var out = Files.newOutputStream(f)) {
            for (byte[] p : parts) {
                out.write(p);
            }
        }
        return f;
    }

    @Test
    void aJsonlFileWithAByteOrderMarkLoads() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            sb.append("{\"prompt\": \"q").append(i).append("\", \"response\": \"a").append(i).append("\"}\n");
        }
        Path f = write("bom.jsonl", BOM, sb.toString().getBytes(StandardCharsets.UTF_8));

        Dataset ds = DataResolver.resolve(f.toString());

        List<Example> all = new java.util.ArrayList<>(ds.train());
        all.addAll(ds.eval());
        assertThat(all).hasSize(20).anyMatch(e -> e.prompt().equals("q0"));
    }

    @Test
    void aTextFileWithAByteOrderMarkLosesIt() throws Exception {
        Path f = write("bom.txt", BOM, "first block\n\nsecond block\n".getBytes(StandardCharsets.UTF_8));
        assertThat(TextFiles.readString(f)).isEqualTo("first block\n\nsecond block\n");
        assertThat(TextLoader.read(f).get(0).response()).startsWith("first");
    }

    @Test
    void invalidUtf8NamesTheFileLineAndByteOffset() throws Exception {
        // "ok\n" (3 bytes), then line 2 "caf" + 0xE9 (Latin-1 e-acute, not UTF-8) at byte offset 6
        Path f = write("latin1.jsonl", "ok\n".getBytes(StandardCharsets.US_ASCII),
                "caf".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xE9, '\n'});

        assertThatThrownBy(() -> TextFiles.readString(f))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("latin1.jsonl").hasMessageContaining("line 2")
                .hasMessageContaining("byte offset 6").hasMessageContaining("0xE9")
                .hasMessageNotContaining("Input length");
        assertThatThrownBy(() -> DataResolver.resolve(f.toString()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("line 2, byte offset 6");
    }
}
