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
 *
 * <p>{@link #generateBatch} decodes several prompts at once: for the llama family they are left-padded to one length
 * and the pads masked out (RoPE attention depends only on relative positions, so each row gives what it would alone);
 * gpt2's learned absolute positions would shift under padding, so there prompts are batched only with prompts of the
 * same length.
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

    /** Why a generation ended: EOS sampled, {@code maxTokens} reached, or the model's context full. */
    public enum Stop { EOS, MAX_TOKENS, CONTEXT }

    /**
     * A generation's ids and why it ended.
     *
     * @param ids     generated ids, the prompt not included
     * @param stopped {@link Stop#CONTEXT} when fewer than {@code maxTokens} came because the context was full
     */
    public record Result(int[] ids, Stop stopped) {
    }

    /** Generated ids after {@code prompt} (which should start with BOS where the model expects one). */
    public int[] generate(int[] prompt, Settings s, int eosId) {
        return run(prompt, s, eosId).ids();
    }

    /**
     * Generates after {@code prompt} until EOS, {@code maxTokens}, or the context: a prompt of L ids leaves room for
     * {@code maxSeqLen - L + 1} new ids (the last one is predicted at position maxSeqLen - 1 and never fed back).
     *
     * @throws IllegalArgumentException when the prompt is empty or longer than the context (callers check first)
     */
    public Result run(int[] prompt, Settings s, int eosId) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt must hold at least one token (e.g. BOS)");
        }
        int context = model.config().maxSeqLen();
        if (prompt.length > context) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the model's context of "
                    + context + " tokens");
        }
        int room = context - prompt.length + 1;
        int limit = Math.min(s.maxTokens(), room);
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
        int[] ids = out.stream().mapToInt(Integer::intValue).toArray();
        Stop stop = ids.length > 0 && s.stopAtEos() && ids[ids.length - 1] == eosId ? Stop.EOS
                : ids.length < s.maxTokens() && ids.length == room ? Stop.CONTEXT : Stop.MAX_TOKENS;
        return new Result(ids, stop);
    }

    /**
     * Generated ids after each prompt, in input order, decoding up to {@code batchSize} prompts per forward pass.
     * Each row stops at its EOS (when {@code stopAtEos}), at {@code maxTokens}, or where the context window ends.
     * Row r samples from its own generator seeded from (seed, r), so greedy output does not depend on the batching.
     */
    public List<int[]> generateBatch(List<int[]> prompts, Settings s, int eosId, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        int[][] out = new int[prompts.size()][];
        java.util.Map<Integer, List<Integer>> groups = new java.util.TreeMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException("prompt " + i + " must hold at least one token (e.g. BOS)");
            }
            int key = model.config().family() == org.memsfl.model.ModelFamily.LLAMA ? 0 : prompts.get(i).length;
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
        }
        for (List<Integer> group : groups.values()) {
            for (int from = 0; from < group.size(); from += batchSize) {
                List<Integer> rows = group.subList(from, Math.min(group.size(), from + batchSize));
                List<int[]> batch = rows.stream().map(prompts::get).toList();
                List<int[]> generated = decodeBatch(batch, rows, s, eosId);
                for (int r = 0; r < rows.size(); r++) {
                    out[rows.get(r)] = generated.get(r);
                }
            }
        }
        return java.util.Arrays.asList(out);
    }

    private List<int[]> decodeBatch(List<int[]> prompts, List<Integer> rowIds, Settings s, int eosId) {
        int b = prompts.size();
        int width = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        int limit = Math.min(s.maxTokens(), model.config().maxSeqLen() - width);
        int[] pad = new int[b];
        boolean padded = false;
        long[] ids = new long[b * width]; // (B, width), pads are id 0 and never attended to
        SplittableRandom[] rng = new SplittableRandom[b];
        for (int r = 0; r < b; r++) {
            int[] p = prompts.get(r);
            pad[r] = width - p.length;
            padded |= pad[r] > 0;
            for (int i = 0; i < p.length; i++) {
                ids[r * width + pad[r] + i] = p[i];
            }
            rng[r] = new SplittableRandom(s.seed() * 1_000_003L + rowIds.get(r));
        }
        List<List<Integer>> out = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            out.add(new ArrayList<>());
        }
        boolean[] done = new boolean[b];
        try (NoGradGuard ng = new NoGradGuard(); KvCache cache = new KvCache(model.config().nLayers())) {
            int pos = 0;
            int t = width;
            for (int step = 0; step < limit; step++) {
                long[] next = new long[b];
                try (NativeScope scope = new NativeScope()) {
                    Tensor in = Tensors.fromLongs(ids, b, t);
                    ForwardContext ctx = padded ? ForwardContext.generation(adapters, cache, pos, pad)
                            : ForwardContext.generation(adapters, cache, pos);
                    Tensor logits = model.forward(in, ctx).select(1, t - 1).contiguous(); // (B, V)
                    float[] all = Tensors.toFloats(logits);
                    int vocab = all.length / b;
                    for (int r = 0; r < b; r++) {
                        float[] row = java.util.Arrays.copyOfRange(all, r * vocab, (r + 1) * vocab);
                        int token = pick(row, s, rng[r]);
                        next[r] = token;
                        if (!done[r]) {
                            out.get(r).add(token);
                            done[r] = s.stopAtEos() && token == eosId;
                        }
                    }
                }
                pos += t;
                t = 1;
                ids = next;
                boolean all = true;
                for (boolean d : done) {
                    all &= d;
                }
                if (all) {
                    break;
                }
            }
        }
        return out.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toList();
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
