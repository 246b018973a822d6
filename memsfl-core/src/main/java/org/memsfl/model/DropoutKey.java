package org.memsfl.model;

import java.util.Arrays;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Rng;

/**
 * Where a training pass's base-model dropout masks ({@link ModelDropout}) come from: the step's seed and the index,
 * in the step's batch, of the pass's first row. The keep-mask of batch row {@code r} at a site of a layer is drawn from
 * a generator seeded with {@link #rowSeed}(seed, layer, site, r), a counter-based scheme in the spirit of Salmon et
 * al., "Parallel random numbers: as easy as 1, 2, 3" (SC 2011): a mask is a function of those four numbers only, not
 * of what was drawn before. So a device segment and a server segment in two processes, a server running a batch in
 * micro-batches, a layer recomputed for its backward, and the unsplit model all draw the same masks.
 *
 * @param seed     the step's seed
 * @param firstRow index of this pass's first row in the step's batch (a server micro-batch starts later)
 */
public record DropoutKey(long seed, long firstRow) {

    /** Where in the model a mask applies; the ordinal is part of the row seed, so never reorder. */
    public enum Site {
        /** token (and position) embeddings; layer -1 */
        EMBEDDING,
        /** attention probabilities after the softmax */
        ATTENTION,
        /** the attention block's output after its output projection */
        ATTENTION_OUTPUT,
        /** the MLP's output */
        MLP_OUTPUT
    }

    /** The {@code Rng} stream of split training's per-round dropout seeds. */
    public static final String STREAM = "model-dropout";

    /** One generator per thread, reseeded for every row: two devices may train in two threads. */
    private static final ThreadLocal<Generator> GENERATOR = ThreadLocal.withInitial(() -> Rng.generator(0));

    public DropoutKey {
        if (firstRow < 0) {
            throw new IllegalArgumentException("firstRow must be >= 0, got " + firstRow);
        }
    }

    /** The key of the rows starting at {@code from} of this pass (a micro-batch). */
    public DropoutKey rows(long from) {
        return new DropoutKey(seed, firstRow + from);
    }

    /**
     * The key of one split-training step, computed alike by the device and by the server from what both hold: the
     * round's seed, the device, and the batch's targets and lengths (which travel with the activations). Two steps of
     * one device in one round differ in their batches, so they draw different masks.
     *
     * @param roundSeed {@code Rng.seed(runSeed, "model-dropout", round)}
     * @param targets   the batch's targets, row-major (B * T)
     * @param lengths   the batch's row lengths
     */
    public static DropoutKey forStep(long roundSeed, String deviceId, long[] targets, int[] lengths) {
        long h = mix(Arrays.hashCode(targets) * 0x9E3779B97F4A7C15L ^ targets.length);
        h = mix(h ^ Arrays.hashCode(lengths));
        for (long t : targets) {
            h = mix(h ^ t);
        }
        return new DropoutKey(Rng.seed(roundSeed, "model-dropout/" + deviceId, h & Long.MAX_VALUE), 0);
    }

    /** The seed of one row's mask at one site of one layer. */
    public static long rowSeed(long seed, int layer, Site site, long row) {
        long h = mix(seed ^ 0x632BE59BD9B4E019L);
        h = mix(h ^ (layer + 1L) * 0xC2B2AE3D27D4EB4FL);
        h = mix(h ^ (site.ordinal() + 1L) * 0x165667B19E3779F9L);
        h = mix(h ^ (row + 1L) * 0x27D4EB2F165667C5L);
        return h & Long.MAX_VALUE;
    }

    /** The 64-bit finaliser of MurmurHash3: every input bit affects every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    /**
     * Inverted dropout: {@code x * keep / (1 - p)} with this key's masks, as {@code torch.nn.functional.dropout}
     * computes it (the kept elements scaled in x's dtype).
     *
     * @param x (B, ...) rows of this pass
     * @return the same shape and dtype
     */
    public Tensor apply(Tensor x, double p, int layer, Site site) {
        long[] shape = x.sizes().vec().get();
        // the mask is scaled in place, and its scope frees every handle but the product's: autograd keeps the scaled
        // mask for x's gradient, and nothing else of this call outlives it
        try (NativeScope scope = new NativeScope()) {
            Tensor keep = keepMask(shape, p, layer, site, x.scalar_type());
            keep.div_(new Scalar(1 - p));
            return scope.escape(x.mul(keep));
        }
    }

    /**
     * The 0/1 keep-mask (1 with probability 1 - p) for rows {@code firstRow .. firstRow + shape[0]} of the step.
     *
     * @param shape (rows, ...) the masked tensor's shape
     * @return that shape, in {@code dtype}
     */
    public Tensor keepMask(long[] shape, double p, int layer, Site site, torch.ScalarType dtype) {
        Generator g = GENERATOR.get();
        // each row is drawn in place into one mask: torch.bernoulli(t, p, g) is empty_like(t).bernoulli_(p, g), so
        // the values are those of a row drawn on its own, without a second mask-sized copy from concatenating rows
        Tensor mask = torch.empty(shape, new TensorOptions(dtype), new MemoryFormatOptional());
        for (long r = 0; r < shape[0]; r++) {
            g.set_current_seed(rowSeed(seed, layer, site, firstRow + r));
            mask.select(0, r).bernoulli_(1 - p, new GeneratorOptional(g));
        }
        return mask;
    }
}
