package org.memsfl.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.memsfl.engine.SafetensorsReaderTest.assertSameTensor;
import static org.memsfl.engine.SafetensorsReaderTest.random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

/** Sharded checkpoints: writeSharded, the index reader, lazy shard opening and its errors. */
class SafetensorsIndexTest {

    @TempDir
    Path dir;

    /** Six 400-byte tensors, maxShardBytes 800: three shards of two tensors each, in sorted name order. */
    private Map<String, Tensor> sixTensors() {
        Random rnd = new Random(11);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("layers.0.w", random(DType.F32, rnd, 10, 10));
        in.put("layers.0.b", random(DType.F64, rnd, 50));
        in.put("layers.1.w", random(DType.BF16, rnd, 200));
        in.put("layers.1.b", random(DType.F16, rnd, 20, 10));
        in.put("layers.2.w", random(DType.I64, rnd, 5, 10));
        in.put("layers.2.b", random(DType.I32, rnd, 100));
        return in;
    }

    /** Round trip over 3 shards. Tolerance: exact (bytes are copied). */
    @Test
    void shardedRoundTripOverThreeShards() throws IOException {
        Map<String, Tensor> in = sixTensors();
        Path ckpt = dir.resolve("ckpt");
        List<Path> shards = SafetensorsWriter.writeSharded(ckpt, in, 800, Map.of("format", "pt"));
        assertThat(shards).extracting(p -> p.getFileName().toString()).containsExactly(
                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors");

        JsonNode index = new ObjectMapper().readTree(ckpt.resolve("model.safetensors.index.json").toFile());
        assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(6 * 400);
        assertThat(index.get("weight_map").get("layers.0.b").asText()).isEqualTo("model-00001-of-00003.safetensors");
        assertThat(index.get("weight_map").get("layers.0.w").asText()).isEqualTo("model-00001-of-00003.safetensors");
        assertThat(index.get("weight_map").get("layers.1.b").asText()).isEqualTo("model-00002-of-00003.safetensors");
        assertThat(index.get("weight_map").get("layers.2.w").asText()).isEqualTo("model-00003-of-00003.safetensors");
        for (Path shard : shards) {
            try (SafetensorsReader r = SafetensorsReader.open(shard)) {
                assertThat(r.names()).hasSize(2);
                assertThat(r.metadata()).containsEntry("format", "pt");
            }
        }

        for (Path p : List.of(ckpt, ckpt.resolve("model.safetensors.index.json"))) {
            try (SafetensorsSource s = SafetensorsSource.open(p)) {
                assertThat(s).isInstanceOf(SafetensorsIndex.class);
                assertThat(s.names()).containsExactlyInAnyOrderElementsOf(in.keySet());
                assertThat(s.metadata()).containsEntry("format", "pt").containsEntry("total_size", "2400");
                assertThat(s.info("layers.1.w").dtype()).isEqualTo(DType.BF16);
                assertThat(s.info("layers.1.w").shape()).containsExactly(200);
                Map<String, Tensor> got = s.loadAll();
                assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(in.keySet());
                got.forEach((k, v) -> assertSameTensor(v, in.get(k)));
            }
        }
        try (SafetensorsIndex idx = SafetensorsIndex.open(ckpt)) {
            assertThat(idx.shardOf("layers.2.b")).isEqualTo(shards.get(2).toAbsolutePath());
        }
    }

    /** Subset loading parses only the shards that hold requested tensors: a garbage shard elsewhere is never read. */
    @Test
    void subsetLoadingOpensOnlyTheNeededShards() throws IOException {
        Map<String, Tensor> in = sixTensors();
        SafetensorsWriter.writeSharded(dir, in, 800, null);
        try (SafetensorsIndex idx = SafetensorsIndex.open(dir)) {
            Path third = dir.resolve("model-00003-of-00003.safetensors");
            Files.write(third, "garbage".getBytes()); // after open: the index only checked it exists
            Map<String, Tensor> got = idx.load(n -> n.startsWith("layers.0."));
            assertThat(got.keySet()).containsExactly("layers.0.b", "layers.0.w");
            got.forEach((k, v) -> assertSameTensor(v, in.get(k)));
            assertThat(idx.openShardCount()).isEqualTo(1);
            assertThatThrownBy(() -> idx.load("layers.2.w")).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("model-00003-of-00003.safetensors");
        }
    }

    /** A one-tensor-too-big-for-a-shard checkpoint still works: the big tensor gets its own shard. Exact. */
    @Test
    void tensorLargerThanTheShardLimitGetsItsOwnShard() {
        Random rnd = new Random(12);
        Map<String, Tensor> in = Map.of("a", random(DType.F32, rnd, 4), "b", random(DType.F32, rnd, 1000),
                "c", random(DType.F32, rnd, 4));
        List<Path> shards = SafetensorsWriter.writeSharded(dir, in, 100, Map.of(), 64);
        assertThat(shards).hasSize(3);
        try (SafetensorsIndex idx = SafetensorsIndex.open(dir, 100)) {
            idx.loadAll().forEach((k, v) -> assertSameTensor(v, in.get(k)));
        }
    }

    /** Rewriting with fewer shards removes the old shards (and a stale model.safetensors) from the directory. */
    @Test
    void rewritingRemovesStaleShards() throws IOException {
        SafetensorsWriter.writeSharded(dir, sixTensors(), 800, null);
        Files.writeString(dir.resolve("model.safetensors"), "stale");
        Files.writeString(dir.resolve("notes.txt"), "keep me");
        SafetensorsWriter.writeSharded(dir, sixTensors(), 10_000, null);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "model-00001-of-00001.safetensors", "model.safetensors.index.json", "notes.txt");
        }
        try (SafetensorsSource s = SafetensorsSource.open(dir)) {
            assertThat(s.names()).hasSize(6);
        }
    }

    @Test
    void missingShardIsReportedWithItsName() throws IOException {
        SafetensorsWriter.writeSharded(dir, sixTensors(), 800, null);
        Files.delete(dir.resolve("model-00002-of-00003.safetensors"));
        assertThatThrownBy(() -> SafetensorsSource.open(dir)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("model-00002-of-00003.safetensors").hasMessageContaining("missing");
    }

    @Test
    void directoryWithoutACheckpointIsReportedWithItsName() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("nothing-here"));
        assertThatThrownBy(() -> SafetensorsSource.open(empty)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("nothing-here");
        assertThatThrownBy(() -> SafetensorsIndex.open(empty)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("nothing-here");
        assertThatThrownBy(() -> SafetensorsSource.open(dir.resolve("absent"))).isInstanceOf(BadInputException.class)
                .hasMessageContaining("absent");
    }

    @Test
    void malformedIndexesAreReported() throws IOException {
        SafetensorsWriter.write(dir.resolve("s.safetensors"), Map.of("x", Tensors.fromFloats(new float[] {1}, 1)),
                null);
        Path index = dir.resolve("model.safetensors.index.json");

        Files.writeString(index, "{\"weight_map\": {\"y\": \"s.safetensors\"}}");
        try (SafetensorsIndex idx = SafetensorsIndex.open(index)) {
            assertThatThrownBy(() -> idx.load("y")).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("'y'").hasMessageContaining("s.safetensors");
            assertThatThrownBy(() -> idx.load("x")).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("no tensor 'x'");
        }
        Files.writeString(index, "{\"weight_map\": {\"x\": \"../s.safetensors\"}}");
        assertThatThrownBy(() -> SafetensorsIndex.open(index)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("../s.safetensors");
        Files.writeString(index, "{\"metadata\": {}}");
        assertThatThrownBy(() -> SafetensorsIndex.open(index)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(index.toString()).hasMessageContaining("weight_map");
        Files.writeString(index, "{oops");
        assertThatThrownBy(() -> SafetensorsIndex.open(index)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(index.toString()).hasMessageContaining("not valid JSON");
    }
}
