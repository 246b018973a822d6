package org.memsfl.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.util.BadInputException;

/**
 * A sharded checkpoint: {@code model.safetensors.index.json} ({@code {"metadata": {...}, "weight_map": {tensor:
 * shardFile}}}) beside its shard files. Opening reads the index and checks that every shard it names exists; a shard's
 * header is parsed only when one of its tensors is first asked for, so a caller that loads a subset never touches
 * the other shards. Safe to use from several threads.
 */
public final class SafetensorsIndex implements SafetensorsSource {

    private final Path indexFile;
    private final Map<String, String> weightMap;
    private final Map<String, Path> shardPaths;
    private final Map<String, String> metadata;
    private final int chunkBytes;
    private final Map<String, SafetensorsReader> open = new LinkedHashMap<>();
    private boolean closed;

    private SafetensorsIndex(Path indexFile, Map<String, String> weightMap, Map<String, Path> shardPaths,
            Map<String, String> metadata, int chunkBytes) {
        this.indexFile = indexFile;
        this.weightMap = weightMap;
        this.shardPaths = shardPaths;
        this.metadata = metadata;
        this.chunkBytes = chunkBytes;
    }

    /**
     * Opens an index file, or the {@value SafetensorsSource#INDEX_FILE} inside a directory.
     *
     * @throws BadInputException naming the directory or index when the index is missing or malformed, or names a
     *         shard file that does not exist
     */
    public static SafetensorsIndex open(Path dirOrIndexFile) {
        return open(dirOrIndexFile, SafetensorsReader.DEFAULT_CHUNK_BYTES);
    }

    static SafetensorsIndex open(Path dirOrIndexFile, int chunkBytes) {
        Path indexFile = dirOrIndexFile;
        if (Files.isDirectory(dirOrIndexFile)) {
            indexFile = dirOrIndexFile.resolve(INDEX_FILE);
            if (!Files.isRegularFile(indexFile)) {
                throw new BadInputException("directory " + dirOrIndexFile + " holds no " + INDEX_FILE);
            }
        }
        String where = "safetensors index " + indexFile;
        JsonNode root;
        try {
            root = SafetensorsReader.JSON.readTree(Files.readString(indexFile));
        } catch (NoSuchFileException e) {
            throw new BadInputException("safetensors index not found: " + indexFile);
        } catch (JsonProcessingException e) {
            throw new BadInputException(where + " is not valid JSON: "
                    + e.getOriginalMessage().replaceAll("\\s+", " ").trim(), e);
        } catch (IOException e) {
            throw new BadInputException("cannot read safetensors index " + indexFile + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(where + " is not a JSON object");
        }
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new BadInputException(where + " has no \"weight_map\" object");
        }
        Path dir = indexFile.toAbsolutePath().getParent();
        Map<String, String> weightMap = new TreeMap<>();
        Map<String, Path> shardPaths = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new BadInputException(where + ": weight_map entry of tensor '" + e.getKey()
                        + "' is not a file name");
            }
            String shard = e.getValue().textValue();
            if (!shardPaths.containsKey(shard)) {
                Path p = dir.resolve(shard).normalize();
                if (shard.isEmpty() || !p.startsWith(dir) || p.equals(dir)) {
                    throw new BadInputException(where + ": tensor '" + e.getKey() + "' maps to shard '" + shard
                            + "', which is not a file inside " + dir);
                }
                if (!Files.isRegularFile(p)) {
                    throw new BadInputException(where + ": shard file " + shard + " (of tensor '" + e.getKey()
                            + "') is missing from " + dir);
                }
                shardPaths.put(shard, p);
            }
            weightMap.put(e.getKey(), shard);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonNode md = root.get("metadata");
        if (md != null && !md.isNull()) {
            if (!md.isObject()) {
                throw new BadInputException(where + ": \"metadata\" is not a JSON object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = md.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                // HF writes {"total_size": <number>}; non-strings are kept as their JSON text
                metadata.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
            }
        }
        return new SafetensorsIndex(indexFile, Collections.unmodifiableMap(weightMap),
                Collections.unmodifiableMap(shardPaths), Collections.unmodifiableMap(metadata), chunkBytes);
    }

    @Override
    public Path path() {
        return indexFile;
    }

    /** The shard file holding {@code name}. */
    public Path shardOf(String name) {
        return shardPaths.get(shardName(name));
    }

    /** All shard files the index names, in first-mention order. */
    public List<Path> shards() {
        return List.copyOf(shardPaths.values());
    }

    /** Shards whose headers have been parsed so far (tests check laziness with it). */
    synchronized int openShardCount() {
        return open.size();
    }

    @Override
    public Set<String> names() {
        return weightMap.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return shardFor(name).info(name);
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Tensor load(String name) {
        return shardFor(name).load(name);
    }

    @Override
    public Map<String, Tensor> load(Predicate<String> which) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : weightMap.keySet()) {
            if (which.test(name)) {
                out.put(name, load(name));
            }
        }
        return out;
    }

    private String shardName(String name) {
        String shard = weightMap.get(name);
        if (shard == null) {
            throw new BadInputException("safetensors index " + indexFile + " has no tensor '" + name + "'");
        }
        return shard;
    }

    private SafetensorsReader shardFor(String name) {
        String shard = shardName(name);
        SafetensorsReader r;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("safetensors index " + indexFile + " is closed");
            }
            r = open.get(shard);
            if (r == null) {
                r = SafetensorsReader.open(shardPaths.get(shard), chunkBytes);
                open.put(shard, r);
            }
        }
        if (!r.names().contains(name)) {
            throw new BadInputException("safetensors index " + indexFile + " maps tensor '" + name + "' to " + shard
                    + ", but that shard has no such tensor");
        }
        return r;
    }

    @Override
    public synchronized void close() {
        closed = true;
        List<SafetensorsReader> readers = new ArrayList<>(open.values());
        open.clear();
        for (SafetensorsReader r : readers) {
            r.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsIndex[" + indexFile + ", " + weightMap.size() + " tensors in " + shardPaths.size()
                + " shards]";
    }

    /** Tensor names per shard file name, in sorted tensor order (for diagnostics and tests). */
    Map<String, Set<String>> namesByShard() {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            out.computeIfAbsent(e.getValue(), k -> new LinkedHashSet<>()).add(e.getKey());
        }
        return out;
    }
}
