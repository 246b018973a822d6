package org.memsfl.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.util.AtomicFiles;

/**
 * Writes safetensors files: tensors in sorted name order, each contiguous in its own dtype, the JSON header padded
 * with spaces to a multiple of 8 bytes. Files are written atomically (temporary file, then move) and streamed: each
 * tensor's bytes are copied from native memory in bounded chunks, so no buffer the size of the file is built.
 */
public final class SafetensorsWriter {

    /** Default bytes copied from native memory per write call. */
    static final int DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

    private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} (CPU or not, any strides, dtypes of {@link DType}) with string {@code metadata} (may be
     * null or empty; stored as {@code __metadata__}) to {@code file}, replacing it atomically.
     *
     * @throws IllegalArgumentException for a dtype safetensors/memsfl does not store, a sparse tensor, or a reserved
     *         name
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        write(file, tensors, metadata, DEFAULT_CHUNK_BYTES);
    }

    /** As {@link #write(Path, Map, Map)} with the copy chunk size; tests use tiny chunks. */
    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, int chunkBytes) {
        if (chunkBytes <= 0) {
            throw new IllegalArgumentException("chunkBytes must be positive: " + chunkBytes);
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors writing needs a little-endian machine");
        }
        Engine.init();
        Map<String, Tensor> sorted = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.equals("__metadata__")) {
                throw new IllegalArgumentException("invalid safetensors tensor name: " + name);
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("tensor '" + name + "' is null");
            }
            sorted.put(name, e.getValue());
        }
        ObjectNode root = SafetensorsReader.JSON.createObjectNode();
        checkMetadata(metadata);
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode md = root.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(md::put);
        }
        long offset = 0;
        long maxBytes = 0;
        List<Long> sizes = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            Tensor t = e.getValue();
            DType dtype = dtypeOf(e.getKey(), t);
            long[] shape = Tensors.shape(t);
            long bytes = t.numel() * dtype.bytes();
            ObjectNode entry = root.putObject(e.getKey());
            entry.put("dtype", dtype.safetensorsName());
            ArrayNode s = entry.putArray("shape");
            Arrays.stream(shape).forEach(s::add);
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
            maxBytes = Math.max(maxBytes, bytes);
            sizes.add(bytes);
        }
        byte[] header = paddedHeader(root);
        long dataBytes = offset;
        int bufSize = (int) Math.max(1, Math.min(chunkBytes, maxBytes));
        AtomicFiles.write(file, out -> {
            byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array();
            out.write(len);
            out.write(header);
            byte[] buf = new byte[bufSize];
            long written = 0;
            int i = 0;
            for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
                written += copyData(e.getValue(), sizes.get(i++), buf, out);
            }
            if (written != dataBytes) {
                throw new IOException("wrote " + written + " data bytes, header promises " + dataBytes);
            }
        });
    }

    /**
     * Writes {@code tensors} as shards {@code model-00001-of-0000n.safetensors} of at most {@code maxShardBytes}
     * data bytes each (a larger tensor gets a shard of its own), filled in sorted name order, plus
     * {@value SafetensorsSource#INDEX_FILE} whose {@code metadata} holds {@code total_size} and the given metadata
     * (which each shard also carries as {@code __metadata__}). The index is written last; afterwards shard files of an
     * earlier sharded write ({@code model-NNNNN-of-NNNNN.safetensors} not in this set) and a
     * {@value SafetensorsSource#SINGLE_FILE} in {@code dir} are deleted so that {@link SafetensorsSource#open(Path)}
     * finds this checkpoint.
     *
     * @return the shard files written, in order
     */
    public static List<Path> writeSharded(Path dir, Map<String, Tensor> tensors, long maxShardBytes,
            Map<String, String> metadata) {
        return writeSharded(dir, tensors, maxShardBytes, metadata, DEFAULT_CHUNK_BYTES);
    }

    static List<Path> writeSharded(Path dir, Map<String, Tensor> tensors, long maxShardBytes,
            Map<String, String> metadata, int chunkBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
        }
        checkMetadata(metadata);
        Engine.init();
        List<Map<String, Tensor>> shards = new ArrayList<>();
        Map<String, Tensor> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long total = 0;
        for (Map.Entry<String, Tensor> e : new TreeMap<>(tensors).entrySet()) {
            Tensor t = e.getValue();
            if (t == null) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' is null");
            }
            long bytes = t.numel() * dtypeOf(e.getKey(), t).bytes();
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), t);
            currentBytes += bytes;
            total += bytes;
        }
        if (!current.isEmpty() || shards.isEmpty()) {
            shards.add(current);
        }
        int n = shards.size();
        List<Path> written = new ArrayList<>();
        ObjectNode index = SafetensorsReader.JSON.createObjectNode();
        ObjectNode md = index.putObject("metadata");
        if (metadata != null) {
            new TreeMap<>(metadata).forEach(md::put);
        }
        md.put("total_size", total);
        ObjectNode weightMap = index.putObject("weight_map");
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            String shardName = shardName(i + 1, n);
            Path shard = dir.resolve(shardName);
            write(shard, shards.get(i), metadata, chunkBytes);
            written.add(shard);
            names.add(shardName);
            shards.get(i).keySet().forEach(name -> weightMap.put(name, shardName));
        }
        try {
            AtomicFiles.writeString(dir.resolve(SafetensorsSource.INDEX_FILE),
                    SafetensorsReader.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise safetensors index", e);
        }
        removeStale(dir, names);
        return written;
    }

    /** {@code model-00001-of-00003.safetensors} for i = 1, n = 3. */
    static String shardName(int i, int n) {
        return String.format("model-%05d-of-%05d.safetensors", i, n);
    }

    private static void removeStale(Path dir, Set<String> keep) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                if (!keep.contains(f) && (SHARD_NAME.matcher(f).matches() || f.equals(SafetensorsSource.SINGLE_FILE))) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove stale shards in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void checkMetadata(Map<String, String> metadata) {
        if (metadata != null) {
            metadata.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException("safetensors metadata keys and values must not be null: "
                            + k + "=" + v);
                }
            });
        }
    }

    private static DType dtypeOf(String name, Tensor t) {
        if (t.layout().intern() != torch.Layout.Strided) {
            throw new IllegalArgumentException("tensor '" + name + "' has layout " + t.layout()
                    + "; safetensors stores dense tensors only");
        }
        try {
            return DType.of(t.scalar_type().intern());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage()
                    + "; safetensors here stores F32, F16, BF16, F64, I64, I32", e);
        }
    }

    private static byte[] paddedHeader(ObjectNode root) {
        byte[] json;
        try {
            json = SafetensorsReader.JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Streams one tensor's bytes (CPU, contiguous) through {@code buf}; returns the count written. */
    private static long copyData(Tensor t, long size, byte[] buf, OutputStream out) throws IOException {
        if (size == 0) {
            return 0;
        }
        Tensor cpu = t.is_cpu() ? null : t.cpu();
        Tensor src = cpu == null ? t : cpu;
        Tensor c = src.is_contiguous() ? null : src.contiguous();
        Tensor data = c == null ? src : c;
        try (BytePointer p = new BytePointer(data.data_ptr())) {
            if (data.numel() * data.element_size() != size) {
                throw new IOException("tensor changed size while being written");
            }
            p.capacity(size);
            for (long off = 0; off < size; off += buf.length) {
                int len = (int) Math.min(buf.length, size - off);
                // a fresh pointer at the chunk's address: JavaCPP's buffer views are int-sized (see the reader)
                try (BytePointer chunk = p.getPointer(off)) {
                    chunk.position(0).limit(len).capacity(len).asByteBuffer().get(buf, 0, len);
                }
                out.write(buf, 0, len);
            }
        } finally {
            if (c != null) {
                c.close();
            }
            if (cpu != null) {
                cpu.close();
            }
        }
        return size;
    }
}
