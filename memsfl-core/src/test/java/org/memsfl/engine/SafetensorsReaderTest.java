package org.memsfl.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/** Round trips, header layout, metadata, subset and chunked loading of single safetensors files. */
class SafetensorsReaderTest {

    @TempDir
    Path dir;

    // ---- helpers shared with the other Safetensors*Test classes ----

    /** The tensor's bytes as stored in memory (contiguous, native = little-endian order). */
    static byte[] rawBytes(Tensor t) {
        Tensor c = t.contiguous();
        long n = c.numel() * c.element_size();
        byte[] out = new byte[Math.toIntExact(n)];
        if (n > 0) {
            try (BytePointer p = new BytePointer(c.data_ptr())) {
                p.capacity(n).get(out);
            }
        }
        return out;
    }

    /** Random tensor of {@code dtype}; floats include a few special values so bit-exactness is really tested. */
    static Tensor random(DType dtype, Random rnd, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        switch (dtype) {
            case F64: {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(20) - 10);
                }
                return Tensors.fromDoubles(v, shape);
            }
            case I64: {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = rnd.nextLong();
                }
                return Tensors.fromLongs(v, shape);
            }
            case I32: {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = rnd.nextInt();
                }
                return Tensors.fromLongs(v, shape).to(torch.ScalarType.Int);
            }
            default: {
                float[] v = new float[n];
                float[] special = {-0.0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-40f, 65504f};
                for (int i = 0; i < n; i++) {
                    v[i] = i < special.length && n > 2 * special.length ? special[i] : (float) rnd.nextGaussian() * 3;
                }
                Tensor f = Tensors.fromFloats(v, shape);
                return dtype == DType.F32 ? f : f.to(dtype.scalarType());
            }
        }
    }

    static void assertSameTensor(Tensor actual, Tensor expected) {
        assertThat(actual.scalar_type().intern()).isEqualTo(expected.scalar_type().intern());
        assertThat(Tensors.shape(actual)).containsExactly(Tensors.shape(expected));
        assertThat(rawBytes(actual)).isEqualTo(rawBytes(expected));
    }

    // ---- tests ----

    /** Tolerance: none. Bytes are copied, so every dtype must come back bit for bit (raw bytes and values). */
    @Test
    void roundTripEveryDTypeIsBitExact() throws IOException {
        Random rnd = new Random(1);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (DType d : DType.values()) {
            in.put("t." + d.name().toLowerCase(), random(d, rnd, 3, 5, 7));
        }
        in.put("scalar", random(DType.F32, rnd));
        in.put("empty", Tensors.zeros(torch.ScalarType.Int, 0, 3));
        Tensor base = random(DType.F32, rnd, 4, 6);
        in.put("transposed", base.t()); // non-contiguous: written in row-major order of the transposed view
        Path file = dir.resolve("all.safetensors");
        SafetensorsWriter.write(file, in, Map.of());

        long dataBytes = 0;
        for (Tensor t : in.values()) {
            dataBytes += t.numel() * t.element_size();
        }
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(Files.size(file)).isEqualTo(8 + headerLen + dataBytes);

        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertThat(r.names()).containsExactlyElementsOf(new java.util.TreeSet<>(in.keySet()));
            for (DType d : DType.values()) {
                String name = "t." + d.name().toLowerCase();
                assertThat(r.info(name).dtype()).isEqualTo(d);
                assertThat(r.info(name).shape()).containsExactly(3, 5, 7);
                Tensor got = r.load(name);
                assertThat(got.scalar_type().intern()).isEqualTo(d.scalarType());
                assertSameTensor(got, in.get(name));
                if (d == DType.I64 || d == DType.I32) {
                    assertThat(Tensors.toLongs(got)).containsExactly(Tensors.toLongs(in.get(name)));
                } else {
                    assertThat(Tensors.toDoubles(got)).containsExactly(Tensors.toDoubles(in.get(name)));
                }
            }
            Tensor scalar = r.load("scalar");
            assertThat(scalar.dim()).isZero();
            assertSameTensor(scalar, in.get("scalar"));
            Tensor empty = r.load("empty");
            assertThat(Tensors.shape(empty)).containsExactly(0, 3);
            assertThat(empty.scalar_type().intern()).isEqualTo(torch.ScalarType.Int);
            assertThat(r.info("empty").byteSize()).isZero();
            Tensor tr = r.load("transposed");
            assertThat(tr.is_contiguous()).isTrue();
            assertThat(Tensors.shape(tr)).containsExactly(6, 4);
            assertThat(Tensors.toFloats(tr)).containsExactly(Tensors.toFloats(base.t().contiguous()));
        }
    }

    /** Tensors loaded own their memory: they stay valid and unchanged after the reader closes. Tolerance: exact. */
    @Test
    void loadedTensorsOutliveTheReader() {
        Tensor w = random(DType.F32, new Random(2), 64, 64);
        Path file = dir.resolve("w.safetensors");
        SafetensorsWriter.write(file, Map.of("w", w), null);
        Tensor got;
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            got = r.load("w");
        }
        assertSameTensor(got, w);
        assertThatThrownBy(() -> {
            SafetensorsReader r = SafetensorsReader.open(file);
            r.close();
            r.load("w");
        }).isInstanceOf(IllegalStateException.class);
    }

    /** The JSON header is padded with spaces so that its length (and the data start) is a multiple of 8. Exact. */
    @Test
    void headerIsPaddedWithSpacesToAMultipleOf8() throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (int len = 1; len <= 9; len++) {
            String name = "x".repeat(len);
            Tensor t = Tensors.fromFloats(new float[] {1.5f, -2f, 3.25f}, 3);
            Path file = dir.resolve("pad" + len + ".safetensors");
            SafetensorsWriter.write(file, Map.of(name, t), len % 2 == 0 ? Map.of("k", "v") : Map.of());

            ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            long n = all.getLong(0);
            assertThat(n % 8).as("header length for name length %d", len).isZero();
            String header = new String(all.array(), 8, (int) n, StandardCharsets.UTF_8);
            String trimmed = header.stripTrailing();
            assertThat(trimmed).endsWith("}");
            assertThat(header.substring(trimmed.length())).matches(" {0,7}");
            JsonNode h = json.readTree(header);
            assertThat(h.get(name).get("dtype").asText()).isEqualTo("F32");
            assertThat(h.get(name).get("data_offsets").get(0).asLong()).isZero();
            assertThat(h.get(name).get("data_offsets").get(1).asLong()).isEqualTo(12);
            assertThat(all.limit()).isEqualTo(8 + n + 12);
            assertThat(all.getFloat(8 + (int) n)).isEqualTo(1.5f);
            assertThat(all.getFloat(8 + (int) n + 8)).isEqualTo(3.25f);
        }
    }

    /** String metadata survives exactly, including non-ASCII; no metadata means no __metadata__ entry. */
    @Test
    void metadataRoundTrips() throws IOException {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", "pt");
        md.put("note", "ünïcødé ☃ \"quoted\"\nline");
        md.put("empty", "");
        Path file = dir.resolve("md.safetensors");
        SafetensorsWriter.write(file, Map.of("a", Tensors.fromFloats(new float[] {1}, 1)), md);
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertThat(r.metadata()).isEqualTo(md);
        }
        Path plain = dir.resolve("plain.safetensors");
        SafetensorsWriter.write(plain, Map.of("a", Tensors.fromFloats(new float[] {1}, 1)), null);
        try (SafetensorsReader r = SafetensorsReader.open(plain)) {
            assertThat(r.metadata()).isEmpty();
        }
        assertThat(new String(Files.readAllBytes(plain), StandardCharsets.UTF_8)).doesNotContain("__metadata__");
    }

    /** A predicate loads just the named tensors and reads no other tensor's bytes. Tolerance: exact. */
    @Test
    void subsetLoadingReadsOnlyTheRequestedTensors() {
        Random rnd = new Random(3);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("embed", random(DType.F32, rnd, 10, 4));
        for (int i = 0; i < 3; i++) {
            in.put("layers." + i + ".w", random(DType.BF16, rnd, 4, 4));
            in.put("layers." + i + ".b", random(DType.F32, rnd, 4));
        }
        Path file = dir.resolve("m.safetensors");
        SafetensorsWriter.write(file, in, Map.of());
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            Map<String, Tensor> got = r.load(n -> n.startsWith("layers.1."));
            assertThat(got.keySet()).containsExactly("layers.1.b", "layers.1.w");
            assertThat(r.bytesRead()).isEqualTo(4 * 4 + 4 * 4 * 2);
            got.forEach((k, v) -> assertSameTensor(v, in.get(k)));
            assertThat(r.loadAll()).hasSize(7);
        }
    }

    /**
     * Reads and writes in many chunks (1 KiB, 1000 bytes which splits elements, and 3 bytes), the path a tensor over
     * 2 GiB takes with the default chunk size. Tolerance: exact.
     */
    @Test
    void tinyChunksExerciseTheMultiChunkPaths() {
        Random rnd = new Random(4);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("big", random(DType.F32, rnd, 10_007));
        in.put("bf", random(DType.BF16, rnd, 3, 1001));
        in.put("ids", random(DType.I64, rnd, 257));
        in.put("small", random(DType.F16, rnd, 5));
        for (int writeChunk : List.of(1024, 7)) {
            Path file = dir.resolve("chunks" + writeChunk + ".safetensors");
            SafetensorsWriter.write(file, in, Map.of("chunk", "" + writeChunk), writeChunk);
            for (int readChunk : List.of(1024, 1000, 3)) {
                try (SafetensorsReader r = SafetensorsReader.open(file, readChunk)) {
                    Map<String, Tensor> got = r.loadAll();
                    got.forEach((k, v) -> assertSameTensor(v, in.get(k)));
                    assertThat(r.bytesRead()).isEqualTo(10_007 * 4 + 3 * 1001 * 2 + 257 * 8 + 5 * 2);
                }
            }
        }
    }

    /**
     * BF16 weights load and multiply. Tolerance: both products use the same bf16 input values (the fp32 reference
     * upcasts them exactly), so the bf16 result differs only by bf16 rounding of the output (relative 2^-8 = 0.0039)
     * and any reduced-precision accumulation inside the bf16 GEMM. We allow 1e-2 relative to the magnitude sum
     * sum_k |a_ik * b_kj| (the scale of a dot product's rounding error, robust to cancellation near zero). The fp32
     * product itself is checked against Java double loops within 1e-5 of that scale.
     */
    @Test
    void bf16MatrixLoadsAndMultipliesWithinBf16Tolerance() {
        Random rnd = new Random(5);
        int m = 16;
        int k = 64;
        int n = 8;
        Map<String, Tensor> in = Map.of("a", uniformBf16(rnd, m, k), "b", uniformBf16(rnd, k, n));
        Path file = dir.resolve("bf16.safetensors");
        SafetensorsWriter.write(file, in, Map.of());
        Tensor a;
        Tensor b;
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            a = r.load("a");
            b = r.load("b");
        }
        assertThat(a.scalar_type().intern()).isEqualTo(torch.ScalarType.BFloat16);
        Tensor cBf16 = a.matmul(b);
        assertThat(cBf16.scalar_type().intern()).isEqualTo(torch.ScalarType.BFloat16);
        Tensor cF32 = a.to(torch.ScalarType.Float).matmul(b.to(torch.ScalarType.Float));
        float[] av = Tensors.toFloats(a);
        float[] bv = Tensors.toFloats(b);
        float[] got = Tensors.toFloats(cBf16);
        float[] ref32 = Tensors.toFloats(cF32);
        double worst = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = 0;
                double scale = 0;
                for (int q = 0; q < k; q++) {
                    exact += (double) av[i * k + q] * bv[q * n + j];
                    scale += Math.abs((double) av[i * k + q] * bv[q * n + j]);
                }
                assertThat(Math.abs(ref32[i * n + j] - exact)).isLessThanOrEqualTo(1e-5 * scale);
                double err = Math.abs(got[i * n + j] - ref32[i * n + j]) / scale;
                worst = Math.max(worst, err);
                assertThat(err).as("c[%d][%d]", i, j).isLessThanOrEqualTo(1e-2);
            }
        }
        System.out.println("bf16 matmul worst error / magnitude sum: " + worst);
    }

    /**
     * Real over-2-GiB round trip (a 2.4 GB int32 tensor, then a tensor whose offsets lie past 2^31), off by default:
     * needs about 5 GB of RAM and 2.4 GB of disk. Run with MEMSFL_BIG_TESTS=1. Tolerance: exact.
     */
    @Test
    @EnabledIfEnvironmentVariable(named = "MEMSFL_BIG_TESTS", matches = "1")
    void overTwoGibRoundTrip() {
        Engine.init();
        Tensor big = torch.arange(new org.bytedeco.pytorch.Scalar(600_000_000L),
                new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Int));
        Tensor tail = Tensors.fromFloats(new float[] {3.5f, -1f}, 2);
        Path file = dir.resolve("big.safetensors");
        SafetensorsWriter.write(file, Map.of("a.big", big, "b.tail", tail), Map.of());
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertThat(r.info("b.tail").begin()).isGreaterThan(Integer.MAX_VALUE);
            Tensor got = r.load("a.big");
            assertThat(got.equal(big)).isTrue();
            assertThat(Tensors.toFloats(r.load("b.tail"))).containsExactly(3.5f, -1f);
            got.close();
        }
        big.close();
    }

    private static Tensor uniformBf16(Random rnd, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return Tensors.fromFloats(v, rows, cols).to(torch.ScalarType.BFloat16);
    }

    /** The writer refuses tensors of a dtype memsfl does not store and the reserved name. */
    @Test
    void writerRejectsUnsupportedInput() {
        Tensor bool = torch.ones(new long[] {2}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Bool));
        assertThatThrownBy(() -> SafetensorsWriter.write(dir.resolve("x.safetensors"), Map.of("mask", bool), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mask");
        assertThatThrownBy(() -> SafetensorsWriter.write(dir.resolve("x.safetensors"),
                Map.of("__metadata__", Tensors.fromFloats(new float[] {1}, 1)), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(dir.resolve("x.safetensors")).doesNotExist();
    }

    /** SafetensorsSource.open accepts the file itself or a directory holding model.safetensors. Exact. */
    @Test
    void sourceOpensAFileOrADirectoryWithModelSafetensors() {
        Tensor t = random(DType.F16, new Random(6), 2, 3);
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, Map.of("w", t), Map.of("format", "pt"));
        for (Path p : List.of(file, dir)) {
            try (SafetensorsSource s = SafetensorsSource.open(p)) {
                assertThat(s).isInstanceOf(SafetensorsReader.class);
                assertThat(s.path()).isEqualTo(file);
                assertThat(s.names()).containsExactly("w");
                assertThat(s.metadata()).containsEntry("format", "pt");
                assertSameTensor(s.load("w"), t);
            }
        }
    }
}
