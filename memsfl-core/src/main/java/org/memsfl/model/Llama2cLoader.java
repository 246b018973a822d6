package org.memsfl.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.util.BadInputException;

/**
 * Reads Karpathy's llama2.c checkpoints in the legacy "v0" layout: seven int32 (dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len; a negative vocab_size means an untied classifier follows), then float32 arrays.
 * llama2.c rotates neighbouring dimension pairs; q and k rows are permuted into the Hugging Face "rotate half"
 * order here, the same permutation Hugging Face's conversion script applies.
 */
public final class Llama2cLoader {

    private static final int HEADER_BYTES = 7 * 4;

    private Llama2cLoader() {
    }

    public static ModelConfig readConfig(Path file) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (header.hasRemaining()) {
                if (ch.read(header) < 0) {
                    throw new BadInputException(file + ": truncated llama2.c header: expected " + HEADER_BYTES
                            + " bytes, file has " + ch.size());
                }
            }
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        header.flip();
        int dim = header.getInt();
        int hidden = header.getInt();
        int layers = header.getInt();
        int heads = header.getInt();
        int kvHeads = header.getInt();
        int vocab = header.getInt();
        int seqLen = header.getInt();
        try {
            return new ModelConfig(ModelFamily.LLAMA, Math.abs(vocab), dim, layers, heads, kvHeads, hidden, seqLen, 1e-5,
                    10000.0, vocab > 0, false);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": not a llama2.c v0 checkpoint (header " + dim + "," + hidden + "," + layers
                    + "," + heads + "," + kvHeads + "," + vocab + "," + seqLen + "): " + e.getMessage());
        }
    }

    /** Loads the part of the model in {@code range}; tensors outside it are never materialised. */
    public static DecoderModel load(Path file, LayerRange range, DType compute) {
        ModelConfig c = readConfig(file);
        boolean tied = c.tiedEmbeddings();
        long d = c.dim();
        long kv = c.kvDim();
        long h = c.hiddenDim();
        long n = c.nLayers();
        long v = c.vocabSize();
        long floats = v * d + n * d + n * d * d + 2 * n * kv * d + n * d * d + n * d + 3 * n * h * d + d
                + 2L * c.maxSeqLen() * c.headDim() / 2 + (tied ? 0 : v * d);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long need = HEADER_BYTES + floats * 4;
            if (ch.size() < need) {
                throw new BadInputException(file + ": truncated checkpoint: the header's shapes need " + need
                        + " bytes, the file has " + ch.size());
            }
            if (need > Integer.MAX_VALUE) {
                throw new BadInputException(file + ": llama2.c checkpoints over 2 GiB are not supported; convert to safetensors");
            }
            FloatBuffer f = ch.map(FileChannel.MapMode.READ_ONLY, HEADER_BYTES, floats * 4)
                    .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            Map<String, long[]> wanted = Models.shapes(c, range);
            Map<String, Tensor> w = new LinkedHashMap<>();
            int pos = 0;
            pos = take(f, pos, "model.embed_tokens.weight", wanted, w, -1, v, d);
            pos = perLayer(f, pos, "input_layernorm.weight", wanted, w, n, -1, d);
            pos = perLayerPermuted(f, pos, "self_attn.q_proj.weight", wanted, w, n, c.nHeads(), d, d);
            pos = perLayerPermuted(f, pos, "self_attn.k_proj.weight", wanted, w, n, c.nKvHeads(), kv, d);
            pos = perLayer(f, pos, "self_attn.v_proj.weight", wanted, w, n, kv, d);
            pos = perLayer(f, pos, "self_attn.o_proj.weight", wanted, w, n, d, d);
            pos = perLayer(f, pos, "post_attention_layernorm.weight", wanted, w, n, -1, d);
            pos = perLayer(f, pos, "mlp.gate_proj.weight", wanted, w, n, h, d);
            pos = perLayer(f, pos, "mlp.down_proj.weight", wanted, w, n, d, h);
            pos = perLayer(f, pos, "mlp.up_proj.weight", wanted, w, n, h, d);
            pos = take(f, pos, "model.norm.weight", wanted, w, -1, -1, d);
            pos += c.maxSeqLen() * c.headDim(); // two unused RoPE tables of (seq_len, head_dim / 2)
            if (!tied) {
                take(f, pos, "lm_head.weight", wanted, w, -1, v, d);
            }
            return Models.create(c, range, w, compute, file.toString());
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static int perLayer(FloatBuffer f, int pos, String suffix, Map<String, long[]> wanted, Map<String, Tensor> w,
                                long n, long rows, long cols) {
        for (int i = 0; i < n; i++) {
            pos = take(f, pos, "model.layers." + i + "." + suffix, wanted, w, -1, rows, cols);
        }
        return pos;
    }

    private static int perLayerPermuted(FloatBuffer f, int pos, String suffix, Map<String, long[]> wanted,
                                        Map<String, Tensor> w, long n, int heads, long rows, long cols) {
        for (int i = 0; i < n; i++) {
            pos = take(f, pos, "model.layers." + i + "." + suffix, wanted, w, heads, rows, cols);
        }
        return pos;
    }

    /** Reads one array; rows = -1 means a vector of {@code cols}; heads > 0 applies the rotate-half permutation. */
    private static int take(FloatBuffer f, int pos, String name, Map<String, long[]> wanted, Map<String, Tensor> w,
                            int heads, long rows, long cols) {
        int count = (int) (rows < 0 ? cols : rows * cols);
        if (wanted.containsKey(name)) {
            float[] data = new float[count];
            f.get(pos, data);
            Tensor t = rows < 0 ? Tensors.fromFloats(data, cols) : Tensors.fromFloats(data, rows, cols);
            if (heads > 0) {
                // (heads, hd/2, 2, cols) -> (heads, 2, hd/2, cols): neighbour pairs become half-split pairs
                t = t.view(heads, rows / heads / 2, 2, cols).transpose(1, 2).reshape(rows, cols).contiguous();
            }
            w.put(name, t);
        }
        return pos + count;
    }
}
