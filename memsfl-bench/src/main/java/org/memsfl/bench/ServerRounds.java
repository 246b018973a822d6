package org.memsfl.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.model.RandomInit;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.GradientPayload;
import org.memsfl.split.ServerSegment;
import org.memsfl.split.ServerState;
import org.memsfl.train.AdamW;
import org.memsfl.train.GradClip;
import org.memsfl.train.Loss;
import org.memsfl.util.Json;
import org.memsfl.util.ProcessMemory;

/**
 * The server steps the memory bench runs: memsfl's sequential round (one device at a time), sfl-v1's parallel round
 * (one worker per device, optionally with a barrier after forward and loss), their payloads and the engine warm-up.
 */
final class ServerRounds {

    private ServerRounds() {
    }

    static void sequentialRound(ServerSegment server, Map<String, Integer> cuts, ModelConfig config, int batch,
                                int seqLen, int round, List<Double> losses) {
        sequentialRound(server, cuts, config, batch, seqLen, round, losses, new LinkedHashMap<>());
    }

    /**
     * memsfl: the server serves one device at a time, through ServerSegment.process; the seconds of each device's
     * step (process alone, not building the payload) are appended to {@code stepSeconds} under its id.
     */
    static void sequentialRound(ServerSegment server, Map<String, Integer> cuts, ModelConfig config, int batch,
                                int seqLen, int round, List<Double> losses, Map<String, List<Double>> stepSeconds) {
        int i = 0;
        for (Map.Entry<String, Integer> d : cuts.entrySet()) {
            try (NativeScope s = new NativeScope()) {
                ActivationPayload p = payload(d.getKey(), d.getValue(), config, batch, seqLen, round * 1000L + i);
                long t0 = System.nanoTime();
                GradientPayload g = server.process(p, ServerMemoryBench.LR, ServerMemoryBench.MAX_GRAD_NORM);
                stepSeconds.computeIfAbsent(d.getKey(), k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e9);
                losses.add(g.loss());
                g.grad().close();
            }
            i++;
        }
    }

    /**
     * sfl-v1: every device's server step in flight at once, one worker of {@code pool} each (a fixed pool with one
     * thread per device, kept for the whole run as a server would keep it). With {@code barrier}, all forwards and
     * losses finish before any backward starts (every graph alive together); without it the workers run
     * {@link ServerSegment#process} from a common start.
     */
    static void parallelRound(ExecutorService pool, ServerSegment server, Map<String, Integer> cuts, ModelConfig config,
                              int batch, int seqLen, int round, boolean barrier, List<Double> losses)
            throws InterruptedException, ExecutionException {
        List<String> ids = new ArrayList<>(cuts.keySet());
        int u = ids.size();
        CountDownLatch ready = new CountDownLatch(u);
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch forwardDone = new CountDownLatch(u);
        double[] loss = new double[u];
        List<Future<?>> tasks = new ArrayList<>();
        try (NativeScope s = new NativeScope()) {
            // every device's activations have arrived before the server starts: all payloads coexist
            List<ActivationPayload> payloads = new ArrayList<>();
            for (int i = 0; i < u; i++) {
                payloads.add(payload(ids.get(i), cuts.get(ids.get(i)), config, batch, seqLen, round * 1000L + i));
            }
            for (int i = 0; i < u; i++) {
                final int k = i;
                tasks.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    ActivationPayload p = payloads.get(k);
                    if (barrier) {
                        loss[k] = stepWithBarrier(server.state(p.deviceId()), p, forwardDone);
                    } else {
                        GradientPayload g = server.process(p, ServerMemoryBench.LR, ServerMemoryBench.MAX_GRAD_NORM);
                        loss[k] = g.loss();
                        g.grad().close();
                    }
                    return null;
                }));
            }
            if (!ready.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the pool did not start one worker per device");
            }
            start.countDown();
            for (Future<?> f : tasks) {
                f.get();
            }
        }
        for (double l : loss) {
            losses.add(l);
        }
    }

    /** A fixed pool of {@code n} daemon workers, all started now. */
    static ExecutorService workerPool(int n) {
        AtomicLong count = new AtomicLong();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "server-worker-" + count.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        pool.prestartAllCoreThreads();
        return pool;
    }

    /** {@link ServerSegment#gradient} and {@link ServerSegment#process}'s update, with a barrier before backward. */
    static double stepWithBarrier(ServerState s, ActivationPayload p, CountDownLatch forwardDone)
            throws InterruptedException {
        try (NativeScope scope = new NativeScope()) {
            Tensor sent;
            Tensor loss;
            try {
                sent = p.hidden().detach().clone();
                sent.set_requires_grad(true);
                ForwardContext ctx = ForwardContext.training(s.adapters())
                        .withDropout(new org.memsfl.model.DropoutKey(1, 0)); // a model with dropout drops, as in training
                Tensor h = s.model().forwardLayers(sent, s.cut(), s.model().config().nLayers(), ctx);
                loss = Loss.crossEntropy(s.model().head(h, ctx), p.targets());
            } finally {
                forwardDone.countDown(); // also when the forward failed: the others must not wait for it
            }
            forwardDone.await();
            s.optimizer().zeroGrad();
            loss.backward();
            Tensor gradAtCut = sent.grad(); // what would be sent back to the device
            if (!gradAtCut.defined()) {
                throw new IllegalStateException("no gradient at the cut");
            }
            GradClip.clip(s.adapters().parameters(), ServerMemoryBench.MAX_GRAD_NORM);
            s.optimizer().step(ServerMemoryBench.LR);
            return loss.item().toDouble();
        }
    }

    /** Random cut-layer activations (B, T, dim) and random next-token targets, as a device would send them. */
    static ActivationPayload payload(String id, int cut, ModelConfig c, int batch, int seqLen, long seed) {
        torch.manual_seed(seed);
        Tensor hidden = torch.randn(batch, seqLen, c.dim());
        SplittableRandom rng = new SplittableRandom(seed);
        long[] tg = new long[batch * seqLen];
        for (int i = 0; i < tg.length; i++) {
            tg[i] = rng.nextInt(c.vocabSize());
        }
        int[] lens = new int[batch];
        Arrays.fill(lens, seqLen);
        return new ActivationPayload(id, cut, hidden, org.memsfl.engine.Tensors.fromLongs(tg, batch, seqLen), lens);
    }

    /**
     * Runs the code paths of the measured phase on a tiny model, sequentially and in {@code threads} parallel
     * threads, plus a GEMM per thread, so that one-time costs (natives, kernels, JIT, BLAS buffers, thread pools)
     * fall into the baseline rather than into the measured delta.
     */
    static void warmUp(ExecutorService pool, int threads) throws InterruptedException, ExecutionException {
        ModelConfig tiny = ModelPresets.get("tiny-gpt2");
        LoraConfig lora = ServerMemoryBench.lora();
        try (DecoderModel m = RandomInit.create(tiny, LayerRange.all(tiny.nLayers()), DType.F32, 1)) {
            ServerSegment server = new ServerSegment();
            ServerSegment recomputing = new ServerSegment(1, true); // the -rc variants' path, on the same states
            List<AutoCloseable> owned = new ArrayList<>();
            Map<String, Integer> cuts = new LinkedHashMap<>();
            for (int i = 0; i < Math.max(1, threads); i++) {
                String id = "warm-" + i;
                cuts.put(id, 1);
                AdapterSet a = AdapterSet.init(tiny, lora, LayerRange.serverSegment(1, tiny.nLayers()), i);
                AdamW opt = new AdamW(a.namedParameters(), AdamW.Settings.defaults());
                owned.add(opt);
                owned.add(a);
                ServerState state = new ServerState(1, m, a, opt);
                server.register(id, state);
                recomputing.register(id, state);
            }
            for (int r = 0; r < 3; r++) {
                final int round = r;
                pool.submit(() -> {
                    sequentialRound(server, cuts, tiny, 2, 16, round, new ArrayList<>());
                    return null;
                }).get();
                sequentialRound(server, cuts, tiny, 2, 16, r, new ArrayList<>());
                sequentialRound(recomputing, cuts, tiny, 2, 16, r, new ArrayList<>());
                parallelRound(pool, server, cuts, tiny, 2, 16, r, true, new ArrayList<>());
                parallelRound(pool, server, cuts, tiny, 2, 16, r, false, new ArrayList<>());
            }
            for (AutoCloseable c : owned) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        List<Future<?>> gemms = new ArrayList<>();
        CountDownLatch together = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            gemms.add(pool.submit(() -> {
                together.countDown();
                together.await();
                try (NoGradGuard ng = new NoGradGuard(); NativeScope s = new NativeScope()) {
                    Tensor x = torch.randn(512, 512);
                    for (int k = 0; k < 3; k++) {
                        x.matmul(x);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : gemms) {
            f.get();
        }
        try (NoGradGuard ng = new NoGradGuard(); NativeScope s = new NativeScope()) {
            Tensor x = torch.randn(512, 512);
            x.matmul(x);
        }
        ProcessMemory.rssBytes();
        Json.compact(Map.of("warm", 1));
    }
}
