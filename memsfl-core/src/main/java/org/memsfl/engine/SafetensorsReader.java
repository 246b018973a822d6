package org.memsfl.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.util.BadInputException;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the raw
 * little-endian tensor data. {@link #open(Path)} parses and validates the whole header; {@link #load(String)} reads
 * just that tensor's bytes, in chunks of under 2 GiB, straight into the memory of a freshly allocated libtorch tensor
 * (so files and single tensors over 2 GiB work and nothing is mapped whole). Safe to load from several threads.
 */
public final class SafetensorsReader implements SafetensorsSource {

    /** Largest header accepted (the reference implementation's limit). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Default bytes per read call while loading a tensor. */
    static final int DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;

    static final JsonMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final int chunkBytes;
    private final AtomicLong bytesRead = new AtomicLong();
    private volatile boolean closed;

    private SafetensorsReader(Path file, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
            Map<String, String> metadata, int chunkBytes) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
        this.chunkBytes = chunkBytes;
    }

    /**
     * Opens {@code file} and validates its header.
     *
     * @throws BadInputException naming the file (and tensor) when the file is missing or malformed
     */
    public static SafetensorsReader open(Path file) {
        return open(file, DEFAULT_CHUNK_BYTES);
    }

    /** As {@link #open(Path)} with the size of each read; tests use tiny chunks to exercise the multi-chunk path. */
    static SafetensorsReader open(Path file, int chunkBytes) {
        if (chunkBytes <= 0) {
            throw new IllegalArgumentException("chunkBytes must be positive: " + chunkBytes);
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors loading needs a little-endian machine");
        }
        if (Files.isDirectory(file)) {
            throw new BadInputException("safetensors file " + file + " is a directory; use SafetensorsSource.open");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new BadInputException("safetensors file not found: " + file);
        } catch (IOException e) {
            throw new BadInputException("cannot open safetensors file " + file + ": " + e.getMessage(), e);
        }
        try {
            SafetensorsReader r = parse(file, ch, chunkBytes);
            ch = null;
            return r;
        } catch (IOException e) {
            throw new BadInputException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
    }

    private static SafetensorsReader parse(Path file, FileChannel ch, int chunkBytes) throws IOException {
        String where = "safetensors file " + file;
        long size = ch.size();
        if (size < 8) {
            throw new BadInputException(where + " is " + size + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, file);
        long n = lenBuf.getLong(0);
        if (n < 0 || n > size - 8) {
            throw new BadInputException(where + ": header length " + Long.toUnsignedString(n)
                    + " is larger than the file (" + size + " bytes)");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new BadInputException(where + ": header length " + n + " exceeds the " + MAX_HEADER_BYTES
                    + "-byte limit");
        }
        ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
        readFully(ch, headerBuf, 8, file);
        JsonNode root;
        try {
            root = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new BadInputException(where + ": header is not valid JSON: " + oneLine(e.getOriginalMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(where + ": header is not a JSON object");
        }
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (v.isNull()) {
                    continue;
                }
                if (!v.isObject()) {
                    throw new BadInputException(where + ": __metadata__ is not a JSON object");
                }
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext();) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) {
                        throw new BadInputException(where + ": __metadata__ value of '" + kv.getKey()
                                + "' is not a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().textValue());
                }
                continue;
            }
            tensors.put(name, parseEntry(where, name, v, dataSize));
        }
        checkOverlaps(where, tensors);
        return new SafetensorsReader(file, ch, dataStart, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata), chunkBytes);
    }

    private static TensorInfo parseEntry(String where, String name, JsonNode v, long dataSize) {
        String at = where + ": tensor '" + name + "'";
        if (!v.isObject()) {
            throw new BadInputException(at + " is not a JSON object");
        }
        JsonNode dt = v.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw new BadInputException(at + " has no string \"dtype\"");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dt.textValue());
        } catch (BadInputException ex) {
            throw new BadInputException(at + ": " + ex.getMessage(), ex);
        }
        long[] shape = longArray(at, v.get("shape"), "shape", -1);
        long[] offsets = longArray(at, v.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new BadInputException(at + ": data_offsets [" + begin + ", " + end + "] end before begin");
        }
        if (end > dataSize) {
            throw new BadInputException(at + ": data_offsets [" + begin + ", " + end
                    + "] lie outside the file's data section of " + dataSize + " bytes (truncated file?)");
        }
        long bytes;
        try {
            long numel = 1;
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            bytes = Math.multiplyExact(numel, (long) dtype.bytes());
        } catch (ArithmeticException ex) {
            throw new BadInputException(at + ": shape " + Arrays.toString(shape) + " is too large");
        }
        if (bytes != end - begin) {
            throw new BadInputException(at + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                    + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] longArray(String at, JsonNode node, String field, int requiredLength) {
        if (node == null || !node.isArray() || (requiredLength >= 0 && node.size() != requiredLength)) {
            throw new BadInputException(at + ": \"" + field + "\" must be an array"
                    + (requiredLength >= 0 ? " of " + requiredLength + " integers" : " of integers"));
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = node.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0) {
                throw new BadInputException(at + ": \"" + field + "\" holds " + x + ", not a non-negative integer");
            }
            out[i] = x.longValue();
        }
        return out;
    }

    private static void checkOverlaps(String where, Map<String, TensorInfo> tensors) {
        List<TensorInfo> byBegin = new ArrayList<>(tensors.values());
        byBegin.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo prev = null;
        for (TensorInfo t : byBegin) {
            if (t.byteSize() == 0) {
                continue;
            }
            if (prev != null && t.begin() < prev.end()) {
                throw new BadInputException(where + ": tensor '" + t.name() + "' data_offsets [" + t.begin() + ", "
                        + t.end() + "] overlap tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "]");
            }
            prev = t;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path file) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new BadInputException("safetensors file " + file + " ended at byte " + pos
                        + " before the data its header promises (was it truncated or changed?)");
            }
            pos += n;
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    @Override
    public Path path() {
        return file;
    }

    /** Offset in the file of the first data byte (8 + header length). */
    long dataStart() {
        return dataStart;
    }

    /** Data bytes read by {@link #load} so far; lets tests check that subset loading reads only the subset. */
    long bytesRead() {
        return bytesRead.get();
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new BadInputException("safetensors file " + file + " has no tensor '" + name + "'");
        }
        return t;
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Tensor load(String name) {
        TensorInfo info = info(name);
        if (closed) {
            throw new IllegalStateException("safetensors file " + file + " is closed");
        }
        Engine.init();
        Tensor t;
        try (TensorOptions opts = new TensorOptions(info.dtype().scalarType());
                MemoryFormatOptional fmt = new MemoryFormatOptional()) {
            t = torch.empty(info.shape(), opts, fmt);
        }
        long size = info.byteSize();
        if (size == 0) {
            return t;
        }
        try (BytePointer dst = new BytePointer(t.data_ptr())) {
            dst.capacity(size);
            long filePos = dataStart + info.begin();
            for (long off = 0; off < size; off += chunkBytes) {
                long len = Math.min(chunkBytes, size - off);
                // a fresh pointer at the chunk's address: JavaCPP's buffer views are int-sized, so positions
                // beyond 2 GiB must not go through position()/limit() of the base pointer
                try (BytePointer chunk = dst.getPointer(off)) {
                    ByteBuffer view = chunk.position(0).limit(len).capacity(len).asByteBuffer();
                    readFully(channel, view, filePos + off, file);
                }
                bytesRead.addAndGet(len);
            }
        } catch (IOException e) {
            t.close();
            throw new BadInputException("cannot read tensor '" + name + "' from safetensors file " + file + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    @Override
    public Map<String, Tensor> load(Predicate<String> which) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : tensors.keySet()) {
            if (which.test(name)) {
                out.put(name, load(name));
            }
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only channel: nothing to flush
        }
    }

    @Override
    public String toString() {
        return "SafetensorsReader[" + file + ", " + tensors.size() + " tensors]";
    }
}
