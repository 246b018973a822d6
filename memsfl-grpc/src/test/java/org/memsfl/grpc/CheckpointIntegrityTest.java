package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.UncheckedIOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.SafetensorsReader;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.lora.LoraConfig;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import org.memsfl.settings.RunSettings;

/**
 * Fault injection on the checkpoint files of a real two-round run (stories260K, two in-process devices): a damaged
 * newest generation falls back to the previous one; NaN optimizer state and a missing JSON field are refused naming
 * the file (and field); a cut-short last metrics line is repaired; a full disk (an in-memory file system with a size
 * limit, the seam) fails the write without touching the generation in force, and the write succeeds once space is
 * freed.
 */
class CheckpointIntegrityTest {

    @TempDir
    static Path tmp;

    static final LoraConfig LORA = new LoraConfig(4, 8, 0, List.of("q", "v"));
    static Path ckpt;

    @BeforeAll
    static void twoRounds() throws Exception {
        Path data = InProcessFleet.tinyData(tmp.resolve("data"), 60);
        Path out = tmp.resolve("run");
        ServerDeployment s = ServerDeployment.builder(RunSettings.builder().model("stories260K").rounds(2).localSteps(2)
                .batchSize(2).seqLen(32).partition("iid").seed(5).lora(LORA).build()).fleetSize(2).out(out).cut(2)
                .build();
        try (InProcessFleet fleet = new InProcessFleet(s, List.of("a", "b"), "ckpt")) {
            var a = fleet.device("a", data.toString(), 0, null);
            var b = fleet.device("b", data.toString(), 1, null);
            a.get(3, TimeUnit.MINUTES).finalAdapters().close();
            b.get(3, TimeUnit.MINUTES).finalAdapters().close();
            fleet.server.awaitFinished(Duration.ofMinutes(1), Duration.ofSeconds(5));
        }
        ckpt = out.resolve(Checkpoint.DIR);
    }

    /** A fresh copy of the run's output directory (checkpoint only). */
    private static Path copy(String name) throws Exception {
        Path out = tmp.resolve(name);
        Path dir = Files.createDirectories(out.resolve(Checkpoint.DIR));
        try (Stream<Path> files = Files.list(ckpt)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return out;
    }

    private static List<String> log() {
        return new java.util.concurrent.CopyOnWriteArrayList<>();
    }

    @Test
    void twoVerifiedGenerationsAreKept() {
        CheckpointFiles files = new CheckpointFiles(ckpt);
        assertThat(files.candidates()).containsExactly(2, 1);
        files.verifySums(2);
        files.verifySums(1);
        try (Checkpoint.State st = Checkpoint.read(ckpt.getParent(), LORA, line -> { })) {
            assertThat(st.completedRound()).isEqualTo(2);
            assertThat(st.round().devices()).hasSize(2);
        }
    }

    @Test
    void aCorruptedNewestGenerationFallsBackToThePreviousOne() throws Exception {
        Path out = copy("flipped");
        Path f = out.resolve(Checkpoint.DIR).resolve("round-2.safetensors");
        byte[] b = Files.readAllBytes(f);
        b[b.length - 3] ^= 0x40; // an exponent bit of the last float
        Files.write(f, b);
        List<String> log = log();
        try (Checkpoint.State st = Checkpoint.read(out, LORA, log::add)) {
            assertThat(st.completedRound()).isEqualTo(1);
        }
        assertThat(String.join("\n", log)).contains("round-2.safetensors: sha256").contains("differs")
                .contains("resuming from the previous checkpoint generation, round 1");
    }

    @Test
    void nanOptimizerStateIsRefusedNamingTheFile() throws Exception {
        Path out = copy("nan");
        CheckpointFiles files = new CheckpointFiles(out.resolve(Checkpoint.DIR));
        Path f = files.tensors(2);
        Map<String, Tensor> t;
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            t = new TreeMap<>(r.loadAll());
        }
        String opt = t.keySet().stream().filter(k -> k.contains(".opt.")).findFirst().orElseThrow();
        t.get(opt).view(-1).get(0).fill_(new Scalar(Double.NaN));
        SafetensorsWriter.write(f, t, Map.of("format", Checkpoint.FORMAT));
        files.writeSums(2); // as a faulty writer would: the sums agree, only the content check can catch it
        files.discard(1);
        assertThatThrownBy(() -> Checkpoint.read(out, LORA, line -> { })).isInstanceOf(BadInputException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining(opt).hasMessageContaining("optimizer state")
                .hasMessageContaining("NaN");
    }

    @Test
    void aMissingJsonFieldIsRefusedNamingIt() throws Exception {
        Path out = copy("field");
        CheckpointFiles files = new CheckpointFiles(out.resolve(Checkpoint.DIR));
        ObjectNode root = (ObjectNode) Json.MAPPER.readTree(Files.readString(files.json(2)));
        ((ObjectNode) root.get("devices").get(0).get("profile")).remove("flops_per_second");
        Json.write(files.json(2), root);
        files.writeSums(2);
        files.discard(1);
        assertThatThrownBy(() -> Checkpoint.read(out, LORA, line -> { })).isInstanceOf(BadInputException.class)
                .hasMessageContaining("round-2.json").hasMessageContaining("devices[0].profile.flops_per_second is missing");
    }

    @Test
    void aCutShortLastMetricsLineIsRepaired() throws Exception {
        Path f = tmp.resolve("metrics.jsonl");
        Files.writeString(f, "{\"round\":1,\"x\":1}\n{\"round\":2,\"x\":2}\n{\"round\":3,\"x\"");
        List<String> log = log();
        MetricsLines.restore(f, 2, new java.util.LinkedHashMap<>(Map.of("round", 2)), log::add);
        assertThat(Files.readAllLines(f)).containsExactly("{\"round\":1,\"x\":1}", "{\"round\":2}");
        assertThat(log).singleElement().asString().contains("dropped its last line");
        Files.writeString(f, "{\"round\":1,\"x\"\n{\"round\":2,\"x\":2}\n");
        assertThatThrownBy(() -> MetricsLines.restore(f, 2, Map.of("round", 2), line -> { }))
                .isInstanceOf(BadInputException.class).hasMessageContaining("metrics.jsonl:1");
    }

    /** Disk full while writing round 3: round 2 stays in force and verified; once space is freed, round 3 commits. */
    @Test
    void aFullDiskLeavesTheGenerationInForceAndRecovers() throws Exception {
        long size = Files.size(ckpt.resolve("round-2.safetensors")) + Files.size(ckpt.resolve("round-2.json"));
        try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix().toBuilder().setBlockSize(4096)
                .setMaxSize(8 * size + (1 << 20)).build());
             Checkpoint.State st = Checkpoint.read(ckpt.getParent(), LORA, line -> { })) {
            Path out = fs.getPath("/run");
            Checkpoint.write(out, withRound(st, 2));
            Path filler = out.resolve("filler");
            long free = Files.getFileStore(out).getUnallocatedSpace();
            Files.write(filler, new byte[(int) (free - size / 2)]); // half a generation's room left
            assertThatThrownBy(() -> Checkpoint.write(out, withRound(st, 3))).isInstanceOf(UncheckedIOException.class);
            CheckpointFiles files = new CheckpointFiles(out.resolve(Checkpoint.DIR));
            assertThat(files.candidates()).containsExactly(2);
            files.verifySums(2);
            assertThat(Files.exists(files.sums(3))).as("no half generation left behind").isFalse();
            Files.delete(filler);
            Checkpoint.write(out, withRound(st, 3));
            assertThat(files.candidates()).containsExactly(3, 2);
            try (Checkpoint.State back = Checkpoint.read(out, LORA, line -> { })) {
                assertThat(back.completedRound()).isEqualTo(3);
            }
        }
    }

    private static Checkpoint.State withRound(Checkpoint.State st, int r) {
        return new Checkpoint.State(new org.memsfl.round.ServerCheckpoint(r, st.round().devices(), st.round().global()),
                st.settings(), st.registrations(), st.totals(), st.metricsLine());
    }
}
