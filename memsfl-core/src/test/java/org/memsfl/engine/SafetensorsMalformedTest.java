package org.memsfl.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

/** Every malformed file is refused at open with a one-line BadInputException that names the file (and tensor). */
class SafetensorsMalformedTest {

    @TempDir
    Path dir;

    /** A file with the given header text (unpadded) and {@code dataBytes} zero bytes of data. */
    private Path file(String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw(name, h.length, h, dataBytes);
    }

    private Path raw(String name, long declaredHeaderLength, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredHeaderLength).put(header);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(Path p) {
        return assertThatThrownBy(() -> SafetensorsReader.open(p).close()).isInstanceOf(BadInputException.class)
                .hasMessageContaining(p.toString()).satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void wellFormedControlOpens() throws IOException {
        Path p = file("ok.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            assertThat(r.info("a").shape()).containsExactly(2, 3);
            assertThat(Tensors.toFloats(r.load("a"))).containsOnly(0f);
        }
    }

    @Test
    void missingFile() {
        refused(dir.resolve("absent.safetensors")).hasMessageContaining("not found");
    }

    @Test
    void shorterThanEightBytes() throws IOException {
        Path p = dir.resolve("tiny.safetensors");
        Files.write(p, new byte[] {1, 2, 3, 4, 5});
        refused(p).hasMessageContaining("5 bytes");
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        refused(empty).hasMessageContaining("0 bytes");
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        byte[] h = "{}".getBytes(StandardCharsets.UTF_8);
        refused(raw("long.safetensors", 1000, h, 0)).hasMessageContaining("1000").hasMessageContaining("larger");
        refused(raw("huge.safetensors", -1L, h, 0)).hasMessageContaining("18446744073709551615");
    }

    @Test
    void headerIsNotJson() throws IOException {
        refused(file("garbage.safetensors", "{this is not json", 0)).hasMessageContaining("not valid JSON");
        refused(file("array.safetensors", "[1, 2, 3]", 0)).hasMessageContaining("not a JSON object");
        refused(file("trailing.safetensors", "{} {}", 0)).hasMessageContaining("not valid JSON");
        refused(file("dup.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8))
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void unknownDtype() throws IOException {
        refused(file("dtype.safetensors", "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4))
                .hasMessageContaining("'w'").hasMessageContaining("F8_E4M3");
    }

    @Test
    void shapeDoesNotMatchOffsetSpan() throws IOException {
        refused(file("span.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20))
                .hasMessageContaining("'w'").hasMessageContaining("24").hasMessageContaining("20");
        refused(file("bf16span.safetensors", "{\"w\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                16)).hasMessageContaining("'w'");
    }

    @Test
    void badShapeOrOffsetValues() throws IOException {
        refused(file("neg.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4))
                .hasMessageContaining("'w'").hasMessageContaining("shape");
        refused(file("frac.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4))
                .hasMessageContaining("'w'");
        refused(file("three.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8))
                .hasMessageContaining("'w'").hasMessageContaining("data_offsets");
        refused(file("backwards.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8))
                .hasMessageContaining("'w'");
        refused(file("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4))
                .hasMessageContaining("'w'").hasMessageContaining("shape");
        refused(file("overflow.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                + "\"data_offsets\":[0,4]}}", 4)).hasMessageContaining("'w'");
        refused(file("mdnum.safetensors", "{\"__metadata__\":{\"n\":3}}", 0)).hasMessageContaining("__metadata__");
    }

    @Test
    void offsetsOutsideTheFile() throws IOException {
        refused(file("outside.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]}}", 10))
                .hasMessageContaining("'w'").hasMessageContaining("outside");
    }

    @Test
    void truncatedDataOfARealFile() throws IOException {
        Path p = dir.resolve("trunc.safetensors");
        SafetensorsWriter.write(p, Map.of("a", Tensors.fromFloats(new float[] {1, 2}, 2),
                "z", Tensors.fromFloats(new float[] {3, 4, 5}, 3)), null);
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length - 4));
        refused(p).hasMessageContaining("'z'").hasMessageContaining("truncated");
    }

    @Test
    void overlappingTensors() throws IOException {
        refused(file("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24))
                .hasMessageContaining("'a'").hasMessageContaining("'b'").hasMessageContaining("overlap");
    }

    @Test
    void unknownTensorNameOnLoad() throws IOException {
        Path p = file("ok.safetensors", "{\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}", 8);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            assertThat(Tensors.toLongs(r.load("a"))).containsExactly(0L);
            assertThatThrownBy(() -> r.load("b")).isInstanceOf(BadInputException.class)
                    .hasMessageContaining(p.toString()).hasMessageContaining("'b'");
        }
    }

    @Test
    void aDirectoryIsNotAFile() {
        refused(dir).hasMessageContaining("directory");
    }
}
