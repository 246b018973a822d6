package org.memsfl.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.util.BadInputException;

/**
 * Read access to safetensors checkpoints: one {@code .safetensors} file ({@link SafetensorsReader}) or a sharded
 * checkpoint described by {@code model.safetensors.index.json} ({@link SafetensorsIndex}). Every tensor returned
 * owns its memory (it stays valid after {@link #close()}) and has the dtype it was stored with.
 */
public interface SafetensorsSource extends AutoCloseable {

    /** File name of a single-file checkpoint inside a model directory. */
    String SINGLE_FILE = "model.safetensors";

    /** File name of the index of a sharded checkpoint inside a model directory. */
    String INDEX_FILE = "model.safetensors.index.json";

    /**
     * Opens {@code path}: a {@code .safetensors} file, an index {@code .json} file, or a directory holding
     * {@value #SINGLE_FILE} (preferred) or {@value #INDEX_FILE}.
     *
     * @throws BadInputException naming the path when nothing loadable is there or the file is malformed
     */
    static SafetensorsSource open(Path path) {
        if (Files.isDirectory(path)) {
            Path single = path.resolve(SINGLE_FILE);
            if (Files.isRegularFile(single)) {
                return SafetensorsReader.open(single);
            }
            Path index = path.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) {
                return SafetensorsIndex.open(index);
            }
            throw new BadInputException("directory " + path + " holds neither " + SINGLE_FILE + " nor " + INDEX_FILE);
        }
        if (!Files.exists(path)) {
            throw new BadInputException("safetensors checkpoint not found: " + path);
        }
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".json")) {
            return SafetensorsIndex.open(path);
        }
        return SafetensorsReader.open(path);
    }

    /** The file this source was opened from (the {@code .safetensors} file or the index). */
    Path path();

    /** Names of all tensors, sorted. */
    Set<String> names();

    /** Whether a tensor of this name is stored. */
    default boolean contains(String name) {
        return names().contains(name);
    }

    /**
     * Header entry of one tensor.
     *
     * @throws BadInputException when there is no such tensor
     */
    TensorInfo info(String name);

    /** The string metadata ({@code __metadata__} of a file, {@code metadata} of an index); never null. */
    Map<String, String> metadata();

    /**
     * Loads one tensor into fresh CPU memory owned by the returned tensor, in the stored dtype.
     *
     * @throws BadInputException when there is no such tensor or the file cannot be read
     */
    Tensor load(String name);

    /** Loads the tensors whose names pass {@code which}, in sorted name order; other tensors are not read. */
    Map<String, Tensor> load(Predicate<String> which);

    /** Loads every tensor, in sorted name order. */
    default Map<String, Tensor> loadAll() {
        return load(name -> true);
    }

    /** Releases the open files; tensors already loaded stay valid. */
    @Override
    void close();

    /**
     * One header entry. {@code begin} and {@code end} are the stored {@code data_offsets}: byte offsets relative to
     * the first byte after the header, end exclusive.
     */
    record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of elements (1 for a 0-dimensional tensor). */
        public long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** Bytes of data: {@code end - begin}. */
        public long byteSize() {
            return end - begin;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                    && begin == t.begin && end == t.end;
        }

        @Override
        public int hashCode() {
            return ((name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape)) * 31
                    + Long.hashCode(begin) * 17 + Long.hashCode(end);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }
}
