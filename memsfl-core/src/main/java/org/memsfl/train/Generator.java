package org.memsfl.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.NoGradGuard;
import org.memsfl.engine.NativeScope;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.model.KvCache;

/**
 * Autoregressive decoding with a KV cache: the prompt is run once, then one token per step. Temperature 0 is
 * greedy (argmax, first index on ties); otherwise softmax(logits / T) restricted to the smallest top-p nucleus,
 * sampled with a seeded Java generator so a seed reproduces a text on any platform.
 */
public final class Generator {

    /** Settings of one generation. */
    public record Settings(int maxTokens, double temperature, double topP, long seed, boolean stopAtEos) {
        public Settings {
            if (maxTokens < 0) {
                throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
            }
            if (!(temperature >= 0)) {
                throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
            }
        }

        public static Settings greedy(int maxTokens) {
            return new Settings(maxTokens, 0, 1, 0, true);
        }
    }

    private final DecoderModel model;
    private final AdapterSet adapters;

    public Generator(DecoderModel model, AdapterSet adapters) {
        this.model = model;
        this.adapters = adapters;
    }

    /** Generated ids after {@code prompt} (which should start with BOS where the model expects one). */
    public int[] generate(int[] prompt, Settings s, int eosId) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt must hold at least one token (e.g. BOS)");
        }
        int limit = Math.min(s.maxTokens(), model.config().maxSeqLen() - prompt.length);
        SplittableRandom rng = new SplittableRandom(s.seed());
        List<Integer> out = new ArrayList<>();
        try (NoGradGuard ng = new NoGradGuard(); KvCache cache = new KvCache(model.config().nLayers())) {
            long[] ids = new long[prompt.length];
            for (int i = 0; i < prompt.length; i++) {
                ids[i] = prompt[i];
            }
            int pos = 0;
            for (int step = 0; step < limit; step++) {
                int next;
                try (NativeScope scope = new NativeScope()) {
                    Tensor in = Tensors.fromLongs(ids, 1, ids.length);
                    Tensor logits = model.forward(in, ForwardContext.generation(adapters, cache, pos)); // (1, t, V)
                    float[] last = Tensors.toFloats(logits.select(1, ids.length - 1).squeeze(0));
                    next = pick(last, s, rng);
                }
                pos += ids.length;
                out.add(next);
                if (s.stopAtEos() && next == eosId) {
                    break;
                }
                ids = new long[] {next};
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static int pick(float[] logits, Settings s, SplittableRandom rng) {
        if (s.temperature() == 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp((logits[i] - max) / s.temperature());
            sum += p[i];
        }
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double mass = 0;
        int keep = 0;
        while (keep < order.length && (keep == 0 || mass < s.topP())) {
            mass += p[order[keep]];
            keep++;
        }
        double u = rng.nextDouble() * mass;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[order[i]];
            if (u < acc) {
                return order[i];
            }
        }
        return order[keep - 1];
    }
}
