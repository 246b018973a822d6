package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.grpc.proto.TensorChunk;
import org.memsfl.grpc.proto.WireDType;

/** Round trips in every wire dtype, golden bytes, and every kind of malformed chunk a receiver must refuse. */
class TensorCodecTest {

    private static final TensorCodec SMALL = new TensorCodec(1024, 1 << 20);

    private static float[] randomFloats(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 3);
        }
        return v;
    }

    private static TensorCodec.Decoded decodeAll(TensorCodec codec, List<TensorChunk> chunks) {
        TensorAssembler a = codec.assembler();
        TensorCodec.Decoded out = null;
        for (TensorChunk c : chunks) {
            assertThat(out).as("no tensor before the last chunk").isNull();
            out = a.accept(c);
        }
        a.requireIdle();
        return out;
    }

    @Test
    void float32RoundTripIsExactAcrossManyChunks() {
        float[] v = randomFloats(2 * 7 * 33, 1); // 1848 bytes: two chunks of at most 1 KiB
        Tensor t = Tensors.fromFloats(v, 2, 7, 33);
        List<TensorChunk> chunks = SMALL.encode("hidden", t, DType.F32);
        assertThat(chunks).hasSize((v.length * 4 + 1023) / 1024);
        assertThat(chunks).allSatisfy(c -> assertThat(c.getData().size()).isLessThanOrEqualTo(1024));
        assertThat(TensorCodec.dataBytes(chunks)).isEqualTo(v.length * 4L);
        TensorCodec.Decoded d = decodeAll(SMALL, chunks);
        assertThat(d.shape()).containsExactly(2, 7, 33);
        assertThat(d.dtype()).isEqualTo(DType.F32);
        try (Tensor back = d.toFloat32()) {
            assertThat(Tensors.toFloats(back)).containsExactly(v);
        }
        t.close();
    }

    @Test
    void halfWidthWireTypesHalveTheBytesAndRoundToNearest() {
        float[] v = randomFloats(4 * 16 * 8, 2);
        Tensor t = Tensors.fromFloats(v, 4, 16, 8);
        long fp32 = TensorCodec.dataBytes(SMALL.encode("h", t, DType.F32));
        for (DType wire : List.of(DType.F16, DType.BF16)) {
            List<TensorChunk> chunks = SMALL.encode("h", t, wire);
            assertThat(TensorCodec.dataBytes(chunks)).isEqualTo(fp32 / 2);
            assertThat(chunks.get(0).getDtype()).isEqualTo(TensorCodec.wire(wire));
            try (Tensor back = decodeAll(SMALL, chunks).toFloat32()) {
                float[] got = Tensors.toFloats(back);
                // unit roundoff: 2^-11 for fp16 (10 stored bits), 2^-8 for bf16 (7 stored bits)
                double u = wire == DType.F16 ? Math.pow(2, -11) : Math.pow(2, -8);
                for (int i = 0; i < v.length; i++) {
                    assertThat((double) Math.abs(got[i] - v[i])).isLessThanOrEqualTo(Math.abs(v[i]) * u + 1e-7);
                }
            }
        }
        t.close();
    }

    @Test
    void integersTravelExactly() {
        long[] ids = {-100, 0, 1, 511, Long.MAX_VALUE, -100};
        Tensor t = Tensors.fromLongs(ids, 2, 3);
        TensorCodec.Decoded d = decodeAll(SMALL, SMALL.encode("targets", t, DType.I64));
        assertThat(d.toLongs()).containsExactly(ids);
        try (Tensor back = d.toInt64()) {
            assertThat(Tensors.toLongs(back)).containsExactly(ids);
            assertThat(Tensors.shape(back)).containsExactly(2, 3);
        }
        int[] lengths = {3, 1, 48};
        assertThat(decodeAll(SMALL, SMALL.encodeInts("lengths", lengths)).toInts()).containsExactly(lengths);
        assertThatThrownBy(() -> SMALL.encode("targets", t, DType.F32)).isInstanceOf(IllegalArgumentException.class);
        t.close();
    }

    @Test
    void emptyAndScalarTensorsAreOneChunk() {
        List<TensorChunk> empty = SMALL.chunks("e", DType.F32, new long[] {0, 5}, new byte[0]);
        assertThat(empty).hasSize(1);
        assertThat(decodeAll(SMALL, empty).numel()).isZero();
        Tensor scalar = Tensors.fromFloats(new float[] {2.5f});
        List<TensorChunk> s = SMALL.encode("s", scalar.reshape(), DType.F32);
        assertThat(s).hasSize(1);
        TensorCodec.Decoded d = decodeAll(SMALL, s);
        assertThat(d.shape()).isEmpty();
        try (Tensor back = d.toFloat32()) {
            assertThat(Tensors.item(back)).isEqualTo(2.5);
        }
    }

    /** Golden bytes: the wire format is little-endian IEEE elements, so these never change. */
    @Test
    void goldenBytes() {
        Tensor t = Tensors.fromFloats(new float[] {1.0f, -2.0f}, 2);
        assertThat(hex(SMALL.encode("x", t, DType.F32))).isEqualTo("0000803f000000c0");
        assertThat(hex(SMALL.encode("x", t, DType.F16))).isEqualTo("003c00c0");
        assertThat(hex(SMALL.encode("x", t, DType.BF16))).isEqualTo("803f00c0");
        assertThat(hex(SMALL.encodeInts("l", new int[] {1, 258}))).isEqualTo("0100000002010000");
        TensorChunk c = SMALL.encode("x", t, DType.F32).get(0);
        assertThat(c.getShapeList()).containsExactly(2L);
        assertThat(c.getChunkCount()).isEqualTo(1);
        assertThat(c.getTensorBytes()).isEqualTo(8);
        t.close();
    }

    private static String hex(List<TensorChunk> chunks) {
        StringBuilder sb = new StringBuilder();
        chunks.forEach(c -> sb.append(HexFormat.of().formatHex(c.getData().toByteArray())));
        return sb.toString();
    }

    // ------------------------------------------------------------------ hostile input

    private static List<TensorChunk> threeChunks() {
        Tensor t = Tensors.fromFloats(randomFloats(600, 3), 600); // 2400 bytes -> 3 chunks of <= 1024
        List<TensorChunk> c = SMALL.encode("hidden", t, DType.F32);
        t.close();
        assertThat(c).hasSize(3);
        return c;
    }

    private static void refused(Runnable r, String fragment) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains(fragment);
        });
    }

    @Test
    void refusesAShapeThatDisagreesWithTheDeclaredSize() {
        TensorChunk c = threeChunks().get(0).toBuilder().clearShape().addShape(601).build();
        refused(() -> SMALL.assembler().accept(c), "chunk declares");
    }

    @Test
    void refusesUnknownDtypesAndNegativeDims() {
        TensorChunk c = threeChunks().get(0);
        refused(() -> SMALL.assembler().accept(c.toBuilder().setDtype(WireDType.WIRE_DTYPE_UNSPECIFIED).build()),
                "dtype");
        refused(() -> SMALL.assembler().accept(c.toBuilder().clearShape().addShape(-600).build()), "negative");
        refused(() -> SMALL.assembler().accept(c.toBuilder().setName("").build()), "without a name");
    }

    @Test
    void refusesAnOversizeChunk() {
        List<TensorChunk> c = threeChunks();
        TensorAssembler a = SMALL.assembler();
        ByteString big = c.get(0).getData().concat(c.get(1).getData().substring(0, 8));
        refused(() -> a.accept(c.get(0).toBuilder().setData(big).build()), "above the 1024-byte chunk limit");
    }

    @Test
    void refusesBytesPastTheDeclaredSize() {
        List<TensorChunk> c = threeChunks();
        TensorAssembler a = SMALL.assembler();
        a.accept(c.get(0));
        a.accept(c.get(1));
        ByteString more = c.get(2).getData().concat(ByteString.copyFrom(new byte[4]));
        refused(() -> a.accept(c.get(2).toBuilder().setData(more).build()), "past the declared");
    }

    @Test
    void refusesTruncatedTensors() {
        List<TensorChunk> c = threeChunks();
        TensorAssembler a = SMALL.assembler();
        a.accept(c.get(0));
        a.accept(c.get(1));
        refused(a::requireIdle, "truncated");
        TensorAssembler b = SMALL.assembler();
        b.accept(c.get(0));
        b.accept(c.get(1));
        TensorChunk shortLast = c.get(2).toBuilder().setData(c.get(2).getData().substring(0, 10)).build();
        refused(() -> b.accept(shortLast), "truncated");
    }

    @Test
    void refusesOutOfOrderRepeatedAndInterleavedChunks() {
        List<TensorChunk> c = threeChunks();
        TensorAssembler a = SMALL.assembler();
        a.accept(c.get(0));
        refused(() -> a.accept(c.get(2)), "chunk 2 arrived where chunk 1");
        TensorAssembler b = SMALL.assembler();
        b.accept(c.get(0));
        refused(() -> b.accept(c.get(0)), "chunk 0 arrived where chunk 1");
        TensorAssembler d = SMALL.assembler();
        d.accept(c.get(0));
        refused(() -> d.accept(c.get(1).toBuilder().setName("targets").build()), "must not interleave");
    }

    @Test
    void refusesImplausibleChunkCountsAndHugeTensors() {
        TensorChunk c = threeChunks().get(0);
        refused(() -> SMALL.assembler().accept(c.toBuilder().setChunkCount(1).build()), "chunks cannot carry");
        refused(() -> SMALL.assembler().accept(c.toBuilder().setChunkCount(5000).build()), "chunks cannot carry");
        // 1 MiB + 4 bytes of declared float32 data is above this codec's 1 MiB tensor limit
        TensorChunk huge = c.toBuilder().clearShape().addShape((1 << 18) + 1).setTensorBytes((1L << 20) + 4)
                .setChunkCount(1025).build();
        refused(() -> SMALL.assembler().accept(huge), "above the 1048576-byte tensor limit");
    }

    @Test
    void refusesNanAndInf() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            Tensor t = Tensors.fromFloats(new float[] {1, bad, 3}, 3);
            for (DType wire : List.of(DType.F32, DType.F16, DType.BF16)) {
                TensorCodec.Decoded d = decodeAll(SMALL, SMALL.encode("hidden", t, wire));
                refused(d::toFloat32, "NaN or Inf");
            }
            t.close();
        }
        // a finite fp32 value that overflows fp16 arrives as Inf and is refused there, not silently trained on
        Tensor big = Tensors.fromFloats(new float[] {1e6f}, 1);
        refused(() -> decodeAll(SMALL, SMALL.encode("hidden", big, DType.F16)).toFloat32(), "NaN or Inf");
        big.close();
    }

    @Test
    void shapeAndDtypeExpectationsNameTheTensor() {
        TensorCodec.Decoded d = decodeAll(SMALL, threeChunks());
        refused(() -> d.requireShape("activations", 2, -1, 64), "activations 'hidden' has shape [600], expected [2, *, 64]");
        refused(() -> d.requireDtype("activations", DType.BF16), "has dtype F32");
        assertThat(d.requireShape("activations", -1)).isSameAs(d);
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> new TensorCodec(0, 10)).hasMessageContaining("max chunk bytes");
        assertThatThrownBy(() -> new TensorCodec(8 << 20, 10)).hasMessageContaining("4 MiB");
        assertThatThrownBy(() -> new TensorCodec(1024, 0)).hasMessageContaining("max tensor bytes");
    }

    // ---- memory follows what arrived, never what was declared ------------------------------------------------------

    /** A first chunk declaring 1 GiB (262144 chunks of 4 KiB) followed by nothing holds one small buffer, not 1 GiB. */
    @Test
    void aHugeDeclaredTensorCostsOnlyTheBytesThatArrived() {
        TensorCodec codec = new TensorCodec(4096, 1L << 30, 8L << 20);
        long bytes = 1L << 30;
        TensorChunk first = TensorChunk.newBuilder().setName("hidden").setDtype(WireDType.FLOAT32).addShape(bytes / 4)
                .setTensorBytes(bytes).setChunkCount((int) (bytes / 4096)).setChunkIndex(0)
                .setData(ByteString.copyFrom(new byte[4096])).build();
        List<TensorAssembler> open = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            TensorAssembler a = codec.assembler();
            assertThat(a.accept(first)).isNull();
            open.add(a);
        }
        // 100 streams x one 64 KiB starting buffer, against 100 GiB declared
        assertThat(codec.assemblingBytes()).isEqualTo(100L * TensorCodec.INITIAL_BUFFER_BYTES);
        open.forEach(TensorAssembler::close);
        assertThat(codec.assemblingBytes()).isZero();
    }

    @Test
    void theSharedAssemblyBudgetRefusesWithResourceExhaustedAndIsGivenBackOnClose() {
        TensorCodec codec = new TensorCodec(1024, 1 << 20, 200 << 10); // 200 KiB for everything in flight
        float[] v = randomFloats(50_000, 9); // 200000 bytes, 196 chunks
        Tensor t = Tensors.fromFloats(v, v.length);
        List<TensorChunk> chunks = codec.encode("x", t, DType.F32);
        TensorAssembler a = codec.assembler();
        for (int i = 0; i < 100; i++) {
            a.accept(chunks.get(i)); // 100 KiB arrived: buffer 128 KiB
        }
        TensorAssembler b = codec.assembler();
        for (int i = 0; i < 64; i++) {
            b.accept(chunks.get(i)); // 64 KiB
        }
        // the next chunk of b would double its buffer to 128 KiB: 256 KiB in all, above 200 KiB
        assertThatThrownBy(() -> b.accept(chunks.get(64))).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(e.getStatus().getDescription()).contains("'x'").contains("204800");
        });
        b.close();
        TensorCodec.Decoded d = null;
        for (int i = 100; i < chunks.size(); i++) {
            d = a.accept(chunks.get(i));
        }
        assertThat(d).isNotNull();
        assertThat(Tensors.toFloats(d.toFloat32())).containsExactly(v);
        assertThat(codec.assemblingBytes()).as("a completed tensor leaves the budget").isZero();
        t.close();
    }
}
