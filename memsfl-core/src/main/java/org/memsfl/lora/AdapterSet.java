package org.memsfl.lora;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.Tensors;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.model.Adapters;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;

/**
 * The LoRA adapters of one party (a device, a device's server side, or a whole model), keyed
 * {@code layers.<i>.<module>} or {@code embed}. The frozen base model is shared; an adapter set is what is trained,
 * sent, aggregated and saved. Keys iterate in a fixed order so flattening and optimizer state line up.
 */
public final class AdapterSet implements AutoCloseable, Adapters {

    private final LoraConfig config;
    private final Map<String, LoraWeights> adapters;

    public AdapterSet(LoraConfig config, Map<String, LoraWeights> adapters) {
        this.config = config;
        this.adapters = Collections.unmodifiableMap(sorted(adapters));
    }

    /**
     * Fresh adapters for the layers a range holds (and the embedding when targeted and held): A drawn as in PEFT's
     * kaiming-uniform default, U(-1/sqrt(in), 1/sqrt(in)), B zero; for the embedding A is zero and B normal, as PEFT
     * does, so the update starts at zero either way. Java's seeded generator keeps the values identical on every
     * platform.
     */
    public static AdapterSet init(ModelConfig model, LoraConfig config, LayerRange range, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, LoraWeights> out = new LinkedHashMap<>();
        int r = config.rank();
        if (range.embedding() && config.targetsEmbedding()) {
            int[] s = LoraModules.shape(model, LoraModules.EMBEDDING);
            float[] b = new float[s[1] * r];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) gaussian(rng);
            }
            out.put(LoraModules.EMBEDDING, trainable(new float[r * s[0]], new long[] {r, s[0]}, b, new long[] {s[1], r}));
        }
        for (int layer = range.from(); layer < range.to(); layer++) {
            for (String m : config.targets()) {
                if (m.equals(LoraModules.EMBEDDING)) {
                    continue;
                }
                int[] s = LoraModules.shape(model, m);
                double bound = 1.0 / Math.sqrt(s[0]);
                float[] a = new float[r * s[0]];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                }
                out.put(LoraModules.key(layer, m), trainable(a, new long[] {r, s[0]}, new float[s[1] * r], new long[] {s[1], r}));
            }
        }
        return new AdapterSet(config, out);
    }

    private static LoraWeights trainable(float[] a, long[] aShape, float[] b, long[] bShape) {
        Tensor ta = Tensors.fromFloats(a, aShape);
        Tensor tb = Tensors.fromFloats(b, bShape);
        ta.set_requires_grad(true);
        tb.set_requires_grad(true);
        return new LoraWeights(ta, tb);
    }

    private static double gaussian(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    public LoraConfig config() {
        return config;
    }

    /** The adapter of a layer's module, or null when this set does not adapt it. */
    public LoraWeights get(int layer, String module) {
        return adapters.get(LoraModules.key(layer, module));
    }

    public LoraWeights embedding() {
        return adapters.get(LoraModules.EMBEDDING);
    }

    @Override
    public Tensor update(int layer, String module, Tensor x, boolean training, Generator rng) {
        LoraWeights lw = get(layer, module);
        if (lw == null) {
            return null;
        }
        LoraDropout d = !training || config.dropout() == 0 ? LoraDropout.NONE : new LoraDropout(config.dropout(), rng);
        return Lora.update(x, lw, config.scale(), d);
    }

    @Override
    public Tensor embeddingUpdate(Tensor ids) {
        LoraWeights lw = embedding();
        if (lw == null) {
            return null;
        }
        // PEFT's embedding LoRA: rows of A^T picked by the ids, then B, scaled
        Tensor rows = torch.embedding(lw.a().t(), ids);
        return torch.linear(rows, lw.b()).mul(Tensors.scalar(config.scale()));
    }

    public Map<String, LoraWeights> asMap() {
        return adapters;
    }

    public boolean isEmpty() {
        return adapters.isEmpty();
    }

    /** Trainable tensors in key order, A before B. */
    public List<Tensor> parameters() {
        List<Tensor> p = new ArrayList<>(adapters.size() * 2);
        for (LoraWeights w : adapters.values()) {
            p.add(w.a());
            p.add(w.b());
        }
        return p;
    }

    /** Trainable tensors under {@code <key>.lora_A} / {@code <key>.lora_B}, in key order (not detached). */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        adapters.forEach((k, w) -> {
            out.put(k + ".lora_A", w.a());
            out.put(k + ".lora_B", w.b());
        });
        return out;
    }

    public long numParameters() {
        long n = 0;
        for (LoraWeights w : adapters.values()) {
            n += w.numel();
        }
        return n;
    }

    /** The adapters of the layers in {@code [from, to)} (and the embedding if asked), sharing tensors with this set. */
    public AdapterSet slice(int from, int to, boolean withEmbedding) {
        Map<String, LoraWeights> out = new LinkedHashMap<>();
        adapters.forEach((k, w) -> {
            int layer = LoraModules.layerOf(k);
            if (layer < 0 ? withEmbedding : layer >= from && layer < to) {
                out.put(k, w);
            }
        });
        return new AdapterSet(config, out);
    }

    /** The union of disjoint sets, sharing tensors. */
    public static AdapterSet union(LoraConfig config, AdapterSet... parts) {
        Map<String, LoraWeights> out = new LinkedHashMap<>();
        for (AdapterSet p : parts) {
            p.adapters.forEach((k, w) -> {
                if (out.put(k, w) != null) {
                    throw new IllegalArgumentException("adapter " + k + " appears in two parts of a union");
                }
            });
        }
        return new AdapterSet(config, out);
    }

    /** A deep, detached copy whose tensors are trainable leaves of their own. */
    public AdapterSet copy() {
        Map<String, LoraWeights> out = new LinkedHashMap<>();
        try (NoGradGuard ng = new NoGradGuard()) {
            adapters.forEach((k, w) -> {
                Tensor a = w.a().detach().clone();
                Tensor b = w.b().detach().clone();
                a.set_requires_grad(true);
                b.set_requires_grad(true);
                out.put(k, new LoraWeights(a, b));
            });
        }
        return new AdapterSet(config, out);
    }

    /** A deep copy in another element type (float64 for gradient checks), trainable leaves of their own. */
    public AdapterSet to(org.memsfl.engine.DType dtype) {
        Map<String, LoraWeights> out = new LinkedHashMap<>();
        try (NoGradGuard ng = new NoGradGuard()) {
            adapters.forEach((k, w) -> {
                Tensor a = w.a().detach().to(dtype.scalarType()).clone();
                Tensor b = w.b().detach().to(dtype.scalarType()).clone();
                a.set_requires_grad(true);
                b.set_requires_grad(true);
                out.put(k, new LoraWeights(a, b));
            });
        }
        return new AdapterSet(config, out);
    }

    /** Overwrites this set's values in place with {@code source}'s (same keys and shapes), keeping the tensors. */
    public void assign(AdapterSet source) {
        try (NoGradGuard ng = new NoGradGuard()) {
            adapters.forEach((k, w) -> {
                LoraWeights s = source.adapters.get(k);
                if (s == null) {
                    throw new IllegalArgumentException("source adapter set lacks " + k);
                }
                w.a().copy_(s.a());
                w.b().copy_(s.b());
            });
        }
    }

    /** Flat name to tensor map, {@code <key>.lora_A} / {@code <key>.lora_B}, for files and the wire. */
    public Map<String, Tensor> toTensorMap() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        adapters.forEach((k, w) -> {
            out.put(k + ".lora_A", w.a().detach());
            out.put(k + ".lora_B", w.b().detach());
        });
        return out;
    }

    /** Inverse of {@link #toTensorMap()}; the tensors become trainable leaves (copied, float32). */
    public static AdapterSet fromTensorMap(LoraConfig config, Map<String, Tensor> tensors) {
        Map<String, LoraWeights> out = new LinkedHashMap<>();
        for (String name : tensors.keySet()) {
            if (!name.endsWith(".lora_A")) {
                continue;
            }
            String key = name.substring(0, name.length() - ".lora_A".length());
            Tensor b = tensors.get(key + ".lora_B");
            if (b == null) {
                throw new IllegalArgumentException("adapter " + key + " has lora_A but no lora_B");
            }
            Tensor a = tensors.get(name).detach().to(org.bytedeco.pytorch.global.torch.ScalarType.Float).clone();
            Tensor bb = b.detach().to(org.bytedeco.pytorch.global.torch.ScalarType.Float).clone();
            a.set_requires_grad(true);
            bb.set_requires_grad(true);
            out.put(key, new LoraWeights(a, bb));
        }
        return new AdapterSet(config, out);
    }

    @Override
    public void close() {
        for (LoraWeights w : adapters.values()) {
            w.a().close();
            w.b().close();
        }
    }

    private static Map<String, LoraWeights> sorted(Map<String, LoraWeights> in) {
        // embedding first, then layers numerically, then module name: a stable order for flattening
        TreeMap<String, LoraWeights> t = new TreeMap<>((x, y) -> {
            int lx = LoraModules.layerOf(x);
            int ly = LoraModules.layerOf(y);
            if (lx != ly) {
                return Integer.compare(lx, ly);
            }
            return LoraModules.moduleOf(x).compareTo(LoraModules.moduleOf(y));
        });
        t.putAll(in);
        return new LinkedHashMap<>(t);
    }
}
