package org.memsfl.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.SafetensorsReader;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.round.SplitDevice;

/**
 * What a device needs to redo a round exactly: the round, its batch position and its optimizer's state (AdamW's two
 * moments per parameter and the step count, which set the warm-up too) at the round's start. The device keeps it in
 * memory, for a server that lost the round (a crash, then {@code --resume}); with {@code --out} it also writes it to
 * {@code <out>/device-state/round-<r>.safetensors}, so that a device process killed and started again redoes the
 * round exactly as well. The moments live on the device only: started afresh, the device would train differently
 * from an uninterrupted run.
 *
 * <p>A saved state is applied only to the round it was taken at, by the same device with the same assignment and
 * the same round-start adapters (a sha256 over all of them, {@link #key}), so a state of another run, round or
 * fleet is never used. Not covered: a device killed after its upload and before the next round opens starts that
 * next round with fresh moments (its state is taken when a round starts).
 */
final class DeviceRoundStart implements AutoCloseable {

    static final String DIR = "device-state";
    private static final String FORMAT = "memsfl-device-round-start-1";

    private final int round;
    private final long batchesDrawn;
    private final SplitDevice.Snapshot optimizer;
    private final String key;

    private DeviceRoundStart(int round, long batchesDrawn, SplitDevice.Snapshot optimizer, String key) {
        this.round = round;
        this.batchesDrawn = batchesDrawn;
        this.optimizer = optimizer;
        this.key = key;
    }

    /** The state now, at the start of round {@code round} (a copy: the caller closes it). */
    static DeviceRoundStart of(int round, String key, BatchStream batches, SplitDevice device) {
        return new DeviceRoundStart(round, batches.drawn(), device.snapshot(), key);
    }

    int round() {
        return round;
    }

    String key() {
        return key;
    }

    void restore(BatchStream batches, SplitDevice device) {
        batches.rewind(batchesDrawn);
        device.restore(optimizer);
    }

    /**
     * The identity a saved state must match: the device, everything of its assignment that shapes training, and the
     * round-start adapters' values (hex sha256).
     */
    static String key(String identity, AdapterSet roundStartAdapters) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(identity.getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, Tensor> e : new TreeMap<>(roundStartAdapters.toTensorMap()).entrySet()) {
                md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                float[] v = Tensors.toFloats(e.getValue());
                ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v);
                md.update(b);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Everything of the assignment that shapes this device's training (what a saved round start must match). */
    static String identity(DeviceSettings s, DeviceAssignment a) {
        TrainingTerms t = a.terms();
        return String.join("|", s.deviceId(), s.data(), Integer.toString(s.partitionIndex()), t.modelId(),
                Integer.toString(a.cut()), t.lora().toString(), Integer.toString(t.round().localSteps()),
                Integer.toString(t.batchSize()), Integer.toString(t.seqLen()), Double.toString(t.round().lr()),
                Integer.toString(t.round().warmup()), Double.toString(t.round().maxGradNorm()),
                Long.toString(t.round().seed()), t.partitioner(), Integer.toString(t.numPartitions()),
                t.computeDtype().name(), t.templateSha256());
    }

    /** {@link #save} when {@code out} is given; a failed write is said on {@code log} and only costs an exact redo. */
    void saveTo(Path out, Consumer<String> log) {
        if (out != null) {
            try {
                save(out);
            } catch (RuntimeException e) {
                log.accept("cannot save the state of round " + round + " (" + e.getMessage() + "); if this process is"
                        + " started again it redoes the round with fresh optimizer moments");
            }
        }
    }

    /** Writes it under {@code out}/device-state (temp file, fsync, rename), then drops the states of earlier rounds. */
    void save(Path out) {
        Path dir = out.resolve(DIR);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("round", Integer.toString(round));
        meta.put("batches_drawn", Long.toString(batchesDrawn));
        meta.put("optimizer_steps", Long.toString(optimizer.optimizerSteps()));
        meta.put("key", key);
        SafetensorsWriter.write(dir.resolve("round-" + round + ".safetensors"), optimizer.moments(), meta);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "round-*.safetensors")) {
            for (Path f : files) {
                if (roundOf(f) < round) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tidy " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The state saved under {@code out} for round {@code round} with {@code key}, or null (none, another key, or a
     * file that cannot be read, which is said on {@code log}: the device then starts the round afresh).
     */
    static DeviceRoundStart load(Path out, int round, String key, Consumer<String> log) {
        Path f = out.resolve(DIR).resolve("round-" + round + ".safetensors");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            Map<String, String> meta = r.metadata();
            if (!FORMAT.equals(meta.get("format")) || !key.equals(meta.get("key"))
                    || !Integer.toString(round).equals(meta.get("round"))) {
                log.accept("ignoring " + f + ": saved for another run, round or assignment");
                return null;
            }
            Map<String, Tensor> moments = new LinkedHashMap<>();
            for (String name : r.names()) {
                moments.put(name, r.load(name));
            }
            return new DeviceRoundStart(round, Long.parseLong(meta.get("batches_drawn")),
                    new SplitDevice.Snapshot(Long.parseLong(meta.get("optimizer_steps")), moments), key);
        } catch (RuntimeException e) {
            log.accept("ignoring " + f + " (" + e.getMessage() + "); round " + round + " starts with fresh moments");
            return null;
        }
    }

    private static int roundOf(Path f) {
        String n = f.getFileName().toString();
        try {
            return Integer.parseInt(n.substring("round-".length(), n.length() - ".safetensors".length()));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE; // not ours: left alone
        }
    }

    @Override
    public void close() {
        optimizer.close();
    }
}
