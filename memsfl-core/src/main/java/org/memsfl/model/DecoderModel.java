package org.memsfl.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.quant.QuantizedWeight;
import org.memsfl.quant.WeightStorage;
import org.memsfl.util.BadInputException;

/**
 * A frozen decoder-only transformer, or the part of one that a process holds ({@link LayerRange}). The forward is
 * split into {@link #embed}, {@link #forwardLayers} over any contiguous range, and {@link #head}, so that a device
 * segment and a server segment run exactly the code the whole model runs. Adapters are passed per call, never
 * stored: one frozen model serves every device's server-side LoRA.
 *
 * <p>Weights are kept under Hugging Face names in the linear layout {@code (out, in)}; loaders convert other layouts.
 */
public abstract class DecoderModel implements AutoCloseable {

    protected final ModelConfig config;
    protected final LayerRange range;
    private Map<String, Tensor> weights;
    /** Layer weights held in a storage form below the compute dtype, dequantized at each use ({@link #quantizeLayers}). */
    private final Map<String, QuantizedWeight> quantized = new LinkedHashMap<>();
    private final DType compute;
    private final String source;
    private final DType dtype;

    protected DecoderModel(ModelConfig config, LayerRange range, Map<String, Tensor> weights, DType compute,
                           String source) {
        this(config, range, weights, Map.of(), compute, source);
    }

    /**
     * @param weights      float tensors by name (converted to {@code compute} where they are not)
     * @param layerWeights layer weights already in a storage form ({@link #quantizeAsRead}), by name; a loader that
     *                     converts each layer weight as it reads it never holds the float model
     */
    protected DecoderModel(ModelConfig config, LayerRange range, Map<String, Tensor> weights,
                           Map<String, QuantizedWeight> layerWeights, DType compute, String source) {
        Engine.init();
        this.config = config;
        this.range = range;
        this.source = source;
        this.dtype = compute;
        if (range.to() > config.nLayers()) {
            throw new IllegalArgumentException("layer range [" + range.from() + ", " + range.to() + ") exceeds the model's "
                    + config.nLayers() + " layers");
        }
        Map<String, long[]> expected = expectedShapes(config, range);
        Map<String, Tensor> held = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            QuantizedWeight stored = layerWeights.get(e.getKey());
            if (stored != null) {
                if (!Arrays.equals(stored.shape(), e.getValue())) {
                    throw new BadInputException(source + ": tensor '" + e.getKey() + "' has shape "
                            + Arrays.toString(stored.shape()) + " but the config implies " + Arrays.toString(e.getValue()));
                }
                quantized.put(e.getKey(), stored);
                continue;
            }
            Tensor t = weights.get(e.getKey());
            if (t == null) {
                throw new BadInputException(source + ": tensor '" + e.getKey() + "' is missing");
            }
            long[] shape = Tensors.shape(t);
            if (!Arrays.equals(shape, e.getValue())) {
                throw new BadInputException(source + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(shape)
                        + " but the config implies " + Arrays.toString(e.getValue()));
            }
            if (!allFinite(t)) {
                throw new BadInputException(source + ": tensor '" + e.getKey() + "' contains NaN or Inf");
            }
            Tensor c = t.scalar_type().intern() == compute.scalarType() ? t : t.to(compute.scalarType());
            c.set_requires_grad(false);
            held.put(e.getKey(), c);
        }
        this.weights = Collections.unmodifiableMap(held);
        this.compute = compute;
    }

    /**
     * Stores every held layer's 2-D projection weight as {@code storage} (QLoRA-style storage: embeddings, norms,
     * biases and the head stay as they are). Each use then dequantizes the weight to the compute dtype, so a forward
     * holds one layer's float weights at a time unless autograd keeps them: run such a model's training with
     * layer recomputation ({@code DeviceSegment}). A no-op for {@code FP32} on a float32 model.
     */
    public void quantizeLayers(WeightStorage storage) {
        if (storage == WeightStorage.FP32 && compute == DType.F32) {
            return;
        }
        Map<String, Tensor> held = new LinkedHashMap<>(weights);
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            Tensor t = e.getValue();
            if (isLayerWeight(e.getKey()) && t.dim() == 2) {
                try (NativeScope scope = new NativeScope()) {
                    QuantizedWeight q = storage.quantize(t);
                    quantized.put(e.getKey(), q);
                }
                held.remove(e.getKey());
                t.close();
            }
        }
        weights = Collections.unmodifiableMap(held);
    }

    /**
     * Whether a loader should store tensor {@code name} of this shape as {@code storage} right as it reads it: a
     * layer's 2-D projection weight, unless the form is the compute dtype's own float32 (null storage: never).
     */
    public static boolean storedAs(WeightStorage storage, DType compute, String name, long[] shape) {
        return storage != null && !(storage == WeightStorage.FP32 && compute == DType.F32) && isLayerWeight(name)
                && shape.length == 2;
    }

    /**
     * One layer weight as {@link #quantizeLayers} would store it, converted the moment it is read: checked finite,
     * cast to {@code compute}, stored as {@code storage}. The caller still owns (and closes) {@code t}.
     *
     * @param t (out, in) in its stored dtype
     * @throws BadInputException naming {@code source} and the tensor when it holds NaN or Inf
     */
    public static QuantizedWeight quantizeAsRead(String source, String name, Tensor t, WeightStorage storage,
                                                 DType compute) {
        if (!allFinite(t)) {
            throw new BadInputException(source + ": tensor '" + name + "' contains NaN or Inf");
        }
        try (NativeScope scope = new NativeScope()) {
            Tensor c = t.scalar_type().intern() == compute.scalarType() ? t : t.to(compute.scalarType());
            return storage.quantize(c);
        }
    }

    /** Whether some layer weights are held in a quantized storage form. */
    public boolean hasQuantizedLayers() {
        return !quantized.isEmpty();
    }

    private static boolean isLayerWeight(String name) {
        return (name.startsWith("h.") || name.startsWith("model.layers.")) && name.endsWith(".weight");
    }

    /** Names and shapes of the tensors a model with this config holds for this range, in the linear layout. */
    protected abstract Map<String, long[]> expectedShapes(ModelConfig config, LayerRange range);

    /**
     * Token (and position) embedding, with the embedding adapter if the set has one.
     *
     * @param ids (B, T) int64
     * @return (B, T, dim)
     */
    public abstract Tensor embed(Tensor ids, ForwardContext ctx);

    /** One transformer block: (B, T, dim) to (B, T, dim). */
    protected abstract Tensor block(int layer, Tensor h, ForwardContext ctx);

    /** Final norm: (B, T, dim) to (B, T, dim). */
    protected abstract Tensor finalNorm(Tensor h);

    /** Weight of the LM head (vocab, dim), tied or not. */
    protected abstract Tensor lmHeadWeight();

    /** Layers {@code [from, to)}: (B, T, dim) to (B, T, dim). */
    /** Elements checked per pass of {@link #allFinite}: its temporaries stay a few MiB, not a copy of the tensor. */
    private static final long FINITE_CHECK_CHUNK = 1L << 22;

    /** True when no element of {@code t} is NaN or infinite, checked a chunk at a time (a load-time spike otherwise). */
    static boolean allFinite(Tensor t) {
        try (NativeScope check = new NativeScope()) {
            Tensor flat = t.reshape(-1);
            long n = flat.numel();
            for (long from = 0; from < n; from += FINITE_CHECK_CHUNK) {
                try (NativeScope chunk = new NativeScope()) {
                    if (!torch.isfinite(flat.narrow(0, from, Math.min(FINITE_CHECK_CHUNK, n - from))).all().item().toBool()) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    public Tensor forwardLayers(Tensor h, int from, int to, ForwardContext ctx) {
        for (int layer = from; layer < to; layer++) {
            if (!range.holdsLayer(layer)) {
                throw new IllegalStateException("layer " + layer + " is not held by this model part " + range);
            }
            // one scope per layer: its intermediate handles (not saved by autograd) are freed before the next layer
            try (NativeScope scope = new NativeScope()) {
                h = scope.escape(block(layer, h, ctx));
            }
        }
        return h;
    }

    /** Final norm and LM head: (B, T, dim) to logits (B, T, vocab). */
    public Tensor head(Tensor h, ForwardContext ctx) {
        if (!range.head()) {
            throw new IllegalStateException("this model part holds no LM head " + range);
        }
        return torch.linear(finalNorm(h), lmHeadWeight());
    }

    /** The whole model: ids (B, T) to logits (B, T, vocab). */
    public Tensor forward(Tensor ids, ForwardContext ctx) {
        return head(forwardLayers(embed(ids, ctx), 0, config.nLayers(), ctx), ctx);
    }

    /** Applies the embedding adapter, if any, to looked-up rows: (B, T, dim). */
    protected Tensor embedWithAdapter(Tensor ids, Tensor table, ForwardContext ctx) {
        Tensor h = torch.embedding(table, ids);
        return addUpdate(h, embeddingUpdate(ids, ctx));
    }

    /** The embedding adapter's update for these ids (B, T, dim), or null when the set has none. */
    protected Tensor embeddingUpdate(Tensor ids, ForwardContext ctx) {
        return ctx.adapters() == null ? null : ctx.adapters().embeddingUpdate(ids);
    }

    /**
     * {@code h + update}, or h when update is null. fp32 factors beside bf16/fp16 frozen weights give an fp32
     * update; the residual stream keeps the weights' dtype, as PEFT casts the adapter's output back.
     */
    protected static Tensor addUpdate(Tensor h, Tensor update) {
        if (update == null) {
            return h;
        }
        return h.add(update.scalar_type().intern() == h.scalar_type().intern() ? update : update.to(h.scalar_type()));
    }

    protected Tensor w(String name) {
        QuantizedWeight q = quantized.get(name);
        if (q != null) {
            return q.dequantize(compute.scalarType()); // (out, in), freed with the caller's scope
        }
        Tensor t = weights.get(name);
        if (t == null) {
            throw new IllegalStateException("weight " + name + " is not held by this model part " + range);
        }
        return t;
    }

    /**
     * The LoRA linear {@code x W^T + bias + scale * B A dropout(x)}.
     *
     * @param x    (..., in)
     * @param w    (out, in) frozen
     * @param bias (out) or null
     * @return (..., out)
     */
    protected Tensor linear(Tensor x, Tensor w, Tensor bias, int layer, String module, ForwardContext ctx) {
        Tensor y = bias == null ? torch.linear(x, w) : torch.linear(x, w, new TensorOptional(bias));
        Tensor u = loraUpdate(x, layer, module, ctx);
        return u == null ? y : y.add(u);
    }

    /** The adapter's update of a module's output in this pass, (..., out), or null when the module has none. */
    protected Tensor loraUpdate(Tensor x, int layer, String module, ForwardContext ctx) {
        return ctx.adapters() == null ? null : ctx.adapters().update(layer, module, x, ctx.training(), ctx.rng());
    }

    /**
     * Base-model dropout at one site ({@link ModelDropout}): {@code x} itself outside training or when p is 0, else
     * x with the pass's keyed masks ({@link DropoutKey}).
     *
     * @param x (B, ...)
     * @throws IllegalStateException for a training pass with p > 0 but no dropout key: masks from an unkeyed stream
     *                               would differ between a split and an unsplit run
     */
    static Tensor dropout(Tensor x, double p, int layer, DropoutKey.Site site, ForwardContext ctx) {
        if (p == 0 || !ctx.training()) {
            return x;
        }
        if (ctx.dropout() == null) {
            throw new IllegalStateException("a training pass of a model with dropout " + p + " at " + site
                    + " needs a dropout key (ForwardContext.withDropout)");
        }
        return ctx.dropout().apply(x, p, layer, site);
    }

    public ModelConfig config() {
        return config;
    }

    /** The dtype of the frozen weights and the activations between layers (LoRA factors and the loss stay fp32). */
    public DType dtype() {
        return dtype;
    }

    public LayerRange range() {
        return range;
    }

    public String source() {
        return source;
    }

    /** Frozen weights under their Hugging Face names (linear layout). */
    public Map<String, Tensor> weights() {
        return weights;
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : weights.values()) {
            n += t.numel();
        }
        for (QuantizedWeight q : quantized.values()) {
            n += q.shape()[0] * q.shape()[1];
        }
        return n;
    }

    /**
     * Frozen weight bytes by part: {@code embedding} (token and position tables), {@code layers}, {@code head} (final
     * norm, untied LM head), {@code other}, and {@code frozen_total}. A tied head is counted once, under embedding.
     */
    public Map<String, Long> bytesByPart() {
        long emb = 0;
        long layers = 0;
        long head = 0;
        long other = 0;
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            String n = e.getKey();
            long bytes = e.getValue().numel() * e.getValue().element_size();
            if (n.startsWith("h.") || n.startsWith("model.layers.")) {
                layers += bytes;
            } else if (n.startsWith("wte.") || n.startsWith("wpe.") || n.startsWith("model.embed_tokens.")) {
                emb += bytes;
            } else if (n.startsWith("ln_f.") || n.startsWith("model.norm.") || n.startsWith("lm_head.")) {
                head += bytes;
            } else {
                other += bytes;
            }
        }
        for (QuantizedWeight q : quantized.values()) {
            layers += q.bytes();
        }
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("embedding", emb);
        out.put("layers", layers);
        out.put("head", head);
        out.put("other", other);
        out.put("frozen_total", emb + layers + head + other);
        return out;
    }

    /** Bytes held per dtype name, e.g. {@code F32 -> 1040128}. */
    public Map<String, Long> bytesByDtype() {
        Map<String, Long> out = new TreeMap<>();
        for (Tensor t : weights.values()) {
            DType d = DType.of(t.scalar_type());
            out.merge(d.name(), t.numel() * d.bytes(), Long::sum);
        }
        for (QuantizedWeight q : quantized.values()) {
            out.merge(q.storage().toString(), q.bytes(), Long::sum);
        }
        return out;
    }

    @Override
    public void close() {
        weights.values().forEach(Tensor::close);
        quantized.values().forEach(QuantizedWeight::close);
    }
}
