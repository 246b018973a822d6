package org.memsfl.quant;

import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;

/**
 * 4-bit NormalFloat storage with double quantization, after QLoRA (Dettmers et al., "QLoRA: Efficient Finetuning of
 * Quantized LLMs", 2023, section 3 and appendix E):
 * <ol>
 *   <li>The weight, flattened row-major and zero-padded to a multiple of {@link #BLOCK} = 64, is cut into blocks; each
 *       block is divided by its absmax and each value is replaced by the index of the nearest of the 16 NF4 levels
 *       ({@link #LEVELS}: the quantiles of N(0, 1) normalised to [-1, 1], with an exact zero). Two 4-bit codes share
 *       a byte, the earlier element in the high nibble.</li>
 *   <li>Double quantization: the float32 absmax constants (one per block) lose their mean (kept as one float32
 *       offset) and are quantized again, symmetric absmax int8 in blocks of {@link #ABSMAX_BLOCK} = 256 with one
 *       float32 scale each. QLoRA uses an 8-bit float for this second level; a linear int8 is used here, same size.</li>
 * </ol>
 * Reading back: {@code w = LEVELS[code] * (q2 * s2 + offset)}. Storage: 4 bits per weight, plus 8 bits per 64
 * weights and 32 bits per 16,384: about 4.127 bits per weight.
 *
 * @param codes   (ceil(n / 64) * 32) uint8, two codes per byte
 * @param absmaxQ (blocks) int8, the second-level codes of the blocks' absmax
 * @param absmaxScales (ceil(blocks / 256)) float32
 * @param offset  the mean of the blocks' absmax
 * @param rows    the weight's rows
 * @param cols    the weight's columns
 */
public record Nf4Weight(Tensor codes, Tensor absmaxQ, Tensor absmaxScales, float offset, long rows, long cols)
        implements QuantizedWeight {

    public static final int BLOCK = 64;
    public static final int ABSMAX_BLOCK = 256;

    /** The 16 NF4 levels, ascending (QLoRA appendix E). */
    public static final float[] LEVELS = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
        -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
        0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f,
        1.0f};

    /** Blocks quantized per pass, so that a large weight's temporaries stay a few MiB. */
    private static final long BLOCKS_PER_PASS = 1 << 14;

    /** Bytes of an n-element weight in this form. */
    public static long bytes(long n) {
        long blocks = (n + BLOCK - 1) / BLOCK;
        long blocks2 = (blocks + ABSMAX_BLOCK - 1) / ABSMAX_BLOCK;
        return blocks * BLOCK / 2 + blocks + 4 * blocks2 + 4;
    }

    /**
     * Bytes {@link #dequantize} holds besides its output for an n-element weight: the float32 absmax of every block,
     * and per pass of at most {@code BLOCKS_PER_PASS} blocks the int64 code indices (32 a block) and the float32 levels
     * (64 a block), 512 bytes a block in all.
     */
    public static long dequantizeWorkspaceBytes(long n) {
        long blocks = (n + BLOCK - 1) / BLOCK;
        return 4 * blocks + 512 * Math.min(blocks, BLOCKS_PER_PASS);
    }

    /** Midpoints between consecutive levels, float32: a value goes to the first level whose upper midpoint it does not exceed. */
    static float[] midpoints() {
        float[] m = new float[LEVELS.length - 1];
        for (int i = 0; i < m.length; i++) {
            m[i] = (LEVELS[i] + LEVELS[i + 1]) / 2f;
        }
        return m;
    }

    /** @param w (rows, cols) floating; quantized in float32 */
    public static Nf4Weight quantize(Tensor w) {
        if (w.dim() != 2) {
            throw new IllegalArgumentException("nf4 storage takes a 2-D weight, got " + w.dim() + " dimensions");
        }
        long rows = w.size(0);
        long cols = w.size(1);
        long n = rows * cols;
        long blocks = (n + BLOCK - 1) / BLOCK;
        try (NativeScope scope = new NativeScope()) {
            Tensor flat = w.detach().to(torch.ScalarType.Float).reshape(-1);
            if (blocks * BLOCK != n) {
                flat = torch.constant_pad_nd(flat, new long[] {0, blocks * BLOCK - n}, Tensors.scalar(0));
            }
            Tensor byBlock = flat.view(blocks, BLOCK);                                         // (blocks, 64)
            Tensor codes = scope.keep(Tensors.zeros(torch.ScalarType.Byte, blocks * BLOCK / 2)); // (blocks * 32)
            Tensor absmax = Tensors.zeros(torch.ScalarType.Float, blocks);                         // (blocks)
            Tensor mids = Tensors.fromFloats(midpoints(), LEVELS.length - 1);
            for (long from = 0; from < blocks; from += BLOCKS_PER_PASS) {
                long nb = Math.min(BLOCKS_PER_PASS, blocks - from);
                try (NativeScope pass = new NativeScope()) {
                    Tensor part = byBlock.narrow(0, from, nb);                                  // (nb, 64)
                    Tensor am = part.abs().amax(new long[] {1}, true);                          // (nb, 1)
                    absmax.narrow(0, from, nb).copy_(am.view(nb));
                    Tensor safe = torch.where(am.gt(Tensors.scalar(0)), am, torch.ones_like(am));
                    Tensor idx = torch.bucketize(part.div(safe), mids, false, false).view(nb * BLOCK / 2, 2);
                    Tensor packed = idx.select(1, 0).mul(Tensors.scalar(16)).add(idx.select(1, 1));
                    codes.narrow(0, from * BLOCK / 2, nb * BLOCK / 2).copy_(packed.to(torch.ScalarType.Byte));
                }
            }
            // double quantization of the absmax constants
            float offset = (float) absmax.mean().item().toDouble();
            long blocks2 = (blocks + ABSMAX_BLOCK - 1) / ABSMAX_BLOCK;
            Tensor centered = absmax.sub(Tensors.scalar(offset));
            if (blocks2 * ABSMAX_BLOCK != blocks) {
                centered = torch.constant_pad_nd(centered, new long[] {0, blocks2 * ABSMAX_BLOCK - blocks},
                        Tensors.scalar(0));
            }
            Tensor c2 = centered.view(blocks2, ABSMAX_BLOCK);
            Tensor s2 = c2.abs().amax(new long[] {1}, true).div(Tensors.scalar(127.0));        // (blocks2, 1)
            Tensor safe2 = torch.where(s2.gt(Tensors.scalar(0)), s2, torch.ones_like(s2));
            Tensor q2 = c2.div(safe2).round().clamp(new ScalarOptional(Tensors.scalar(-127)),
                    new ScalarOptional(Tensors.scalar(127))).to(torch.ScalarType.Char).reshape(-1).narrow(0, 0, blocks)
                    .contiguous();
            return new Nf4Weight(codes, scope.keep(q2), scope.keep(s2.view(blocks2).contiguous()), offset, rows, cols);
        }
    }

    /** (blocks) float32: the blocks' absmax as read back, {@code q2 * s2 + offset}. */
    public Tensor absmax() {
        try (NativeScope scope = new NativeScope()) {
            long blocks = absmaxQ.size(0);
            Tensor s = absmaxScales.repeat_interleave(ABSMAX_BLOCK).narrow(0, 0, blocks);
            return scope.escape(absmaxQ.to(torch.ScalarType.Float).mul(s).add(Tensors.scalar(offset)));
        }
    }

    /**
     * (256, 2) float32: the two levels a code byte stands for, high nibble first. Looking a whole byte up at once
     * replaces unpacking it into two int64 codes.
     */
    static Tensor pairTable() {
        float[] t = new float[512];
        for (int b = 0; b < 256; b++) {
            t[2 * b] = LEVELS[b >> 4];
            t[2 * b + 1] = LEVELS[b & 15];
        }
        return Tensors.fromFloats(t, 256, 2);
    }

    /**
     * The weight in {@code type}, {@code LEVELS[code] * absmax} computed in float32 and cast once. Written into one
     * (rows, cols) output {@link #BLOCKS_PER_PASS} blocks at a time, so the temporaries (int64 byte indices and
     * float32 levels of one pass, about 12 MiB) do not grow with the weight: the whole-weight unpacking this replaces
     * held about 28 bytes per weight at its peak.
     */
    @Override
    public Tensor dequantize(torch.ScalarType type) {
        try (NativeScope scope = new NativeScope()) {
            long blocks = absmaxQ.size(0);
            // padded to whole blocks; every element is written below, so no zero fill
            Tensor out = torch.empty(new long[] {blocks * BLOCK}, Tensors.options(type), new MemoryFormatOptional());
            Tensor table = pairTable();
            Tensor scales = absmax();                                                        // (blocks) float32
            for (long from = 0; from < blocks; from += BLOCKS_PER_PASS) {
                long nb = Math.min(BLOCKS_PER_PASS, blocks - from);
                try (NativeScope pass = new NativeScope()) {
                    Tensor bytes = codes.narrow(0, from * BLOCK / 2, nb * BLOCK / 2).to(torch.ScalarType.Long);
                    Tensor levels = table.index_select(0, bytes).view(nb, BLOCK);            // (nb, 64) float32
                    levels.mul_(scales.narrow(0, from, nb).view(nb, 1));
                    out.narrow(0, from * BLOCK, nb * BLOCK).view(nb, BLOCK).copy_(levels);
                }
            }
            return scope.escape(out.narrow(0, 0, rows * cols).view(rows, cols));
        }
    }

    @Override
    public long[] shape() {
        return new long[] {rows, cols};
    }

    @Override
    public long bytes() {
        return codes.numel() + absmaxQ.numel() + 4 * absmaxScales.numel() + 4;
    }

    @Override
    public WeightStorage storage() {
        return WeightStorage.NF4;
    }

    @Override
    public void close() {
        codes.close();
        absmaxQ.close();
        absmaxScales.close();
    }
}
