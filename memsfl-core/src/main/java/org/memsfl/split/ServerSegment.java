package org.memsfl.split;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.DropoutKey;
import org.memsfl.model.ForwardContext;
import org.memsfl.train.ChunkedHeadLoss;
import org.memsfl.train.GradClip;
import org.memsfl.train.Loss;

/**
 * The edge server's half of split training. For each device's activations it runs layers [cut, N), the final
 * norm and the head with that device's server-side adapters, takes the loss, back-propagates into those adapters,
 * steps their optimizer, and returns the gradient at the cut. One call serves one device; the caller decides the
 * order (the scheduler) and whether calls overlap (they never share state unless the method shares it).
 *
 * <p>Optionally the segment recomputes its activations layer by layer during the backward (gradient checkpointing at
 * block granularity, Chen et al., "Training Deep Nets with Sublinear Memory Cost", 2016): the forward keeps only each
 * server layer's input, and each layer is run again, with autograd, just before its backward. This costs one more
 * forward of the server layers (about a third more server compute) and holds one layer's activations instead of all
 * of them. memsfl's server serves one device at a time and is idle most of a round, so it can spend compute for memory.
 */
public final class ServerSegment {

    private final Map<String, ServerState> states = new LinkedHashMap<>();
    private final int microBatchRows;
    private final boolean recompute;
    private final boolean chunkedHead;

    /** A server that runs each device's whole batch through its segment at once. */
    public ServerSegment() {
        this(0);
    }

    /**
     * @param microBatchRows rows of a device's batch run through the server segment at a time, gradients accumulated
     *                       (0 = the whole batch). Serving one device at a time, memsfl's server only ever holds one
     *                       micro-batch of activations; the gradients are those of the whole batch.
     */
    public ServerSegment(int microBatchRows) {
        this(microBatchRows, false);
    }

    /**
     * @param microBatchRows as in {@link #ServerSegment(int)}
     * @param recompute      keep only each server layer's input in the forward and recompute the layer's activations
     *                       just before its backward; the loss and every gradient are those of the plain path
     */
    public ServerSegment(int microBatchRows, boolean recompute) {
        this(microBatchRows, recompute, false);
    }

    /**
     * @param microBatchRows as in {@link #ServerSegment(int)}
     * @param recompute      as in {@link #ServerSegment(int, boolean)}
     * @param chunkedHead    run the final norm, head and loss a chunk of target tokens at a time
     *                       ({@link ChunkedHeadLoss}) whenever the (rows, T, vocab) logits would be larger than one chunk,
     *                       so that they and their gradient never exist at once; the gradients are those of the whole
     *                       head (smaller logits run the whole head, bit for bit the baselines' arithmetic). memsfl's server does; the baselines'
     *                       servers run the head as published, on all logits at once
     */
    public ServerSegment(int microBatchRows, boolean recompute, boolean chunkedHead) {
        if (microBatchRows < 0) {
            throw new IllegalArgumentException("micro-batch rows must be >= 0, got " + microBatchRows);
        }
        this.microBatchRows = microBatchRows;
        this.recompute = recompute;
        this.chunkedHead = chunkedHead;
    }

    public boolean recompute() {
        return recompute;
    }

    public boolean chunkedHead() {
        return chunkedHead;
    }

    public void register(String deviceId, ServerState state) {
        states.put(deviceId, state);
    }

    public ServerState state(String deviceId) {
        ServerState s = states.get(deviceId);
        if (s == null) {
            throw new IllegalArgumentException("unknown device '" + deviceId + "'");
        }
        return s;
    }

    public Map<String, ServerState> states() {
        return states;
    }

    /**
     * Gradient at the cut for a device's activations; the server-side adapters are updated with learning rate
     * {@code lr} after clipping their gradient to {@code maxGradNorm} (0 = no clipping). The returned gradient
     * tensor belongs to the caller, who closes it.
     */
    public GradientPayload process(ActivationPayload p, double lr, double maxGradNorm) {
        ServerState s = state(p.deviceId());
        if (p.cut() != s.cut()) {
            throw new IllegalArgumentException("device " + p.deviceId() + " sent activations of cut " + p.cut()
                    + " but is registered with cut " + s.cut());
        }
        try (NativeScope scope = new NativeScope()) {
            GradientPayload g = gradient(s, p, microBatchRows, recompute, chunkedHead);
            GradClip.clip(s.adapters().parameters(), maxGradNorm);
            s.optimizer().step(lr);
            // grad() is a view owned by the leaf, which dies with the scope: keep an owning handle instead
            return new GradientPayload(scope.keep(g.grad().detach()), g.loss(), g.targetTokens());
        }
    }

    /** Loss and gradient at the cut without an optimizer step (adapters' .grad() are left filled). */
    public static GradientPayload gradient(ServerState s, ActivationPayload p) {
        return gradient(s, p, 0);
    }

    /**
     * As {@link #gradient(ServerState, ActivationPayload)}, running {@code microBatchRows} rows at a time (0 = all):
     * each micro-batch's summed loss is divided by the whole batch's target count, so the accumulated adapter
     * gradients and the concatenated cut gradient are those of the batch's mean loss.
     */
    public static GradientPayload gradient(ServerState s, ActivationPayload p, int microBatchRows) {
        return gradient(s, p, microBatchRows, false);
    }

    /**
     * As {@link #gradient(ServerState, ActivationPayload, int)}; with {@code recompute} each micro-batch keeps only its
     * server layers' inputs in the forward and recomputes each layer's activations just before that layer's backward
     * (see {@code recomputedStep}). Loss, cut gradient and adapter gradients are those of the plain path, and the
     * device's dropout generator ends where the plain path leaves it.
     */
    public static GradientPayload gradient(ServerState s, ActivationPayload p, int microBatchRows, boolean recompute) {
        return gradient(s, p, microBatchRows, recompute, false);
    }

    /**
     * As {@link #gradient(ServerState, ActivationPayload, int, boolean)}; with {@code chunkedHead} the head and loss
     * run a chunk of target tokens at a time ({@link ChunkedHeadLoss}), with the same loss and gradients.
     */
    public static GradientPayload gradient(ServerState s, ActivationPayload p, int microBatchRows, boolean recompute,
                                           boolean chunkedHead) {
        long tokens = 0;
        long[] allTargets = Tensors.toLongs(p.targets());
        for (long t : allTargets) {
            if (t != Loss.IGNORE) {
                tokens++;
            }
        }
        long rows = p.hidden().size(0);
        long step = microBatchRows <= 0 ? rows : Math.min(rows, microBatchRows);
        // the device derived the same key from the same targets and lengths: both halves drop the unsplit model's units
        DropoutKey key = DropoutKey.forStep(s.dropoutRound().get(), p.deviceId(), allTargets, p.lengths());
        ForwardContext whole = ForwardContext.training(s.adapters(), s.rng());
        s.optimizer().zeroGrad();
        double loss = 0;
        org.bytedeco.pytorch.TensorVector grads = new org.bytedeco.pytorch.TensorVector();
        for (long from = 0; from < rows; from += step) {
            long n = Math.min(step, rows - from);
            ForwardContext ctx = whole.withDropout(key.rows(from)); // rows [from, from + n) of the step's masks
            // one scope per micro-batch: its forward outputs and logits are freed before the next one starts
            try (NativeScope micro = new NativeScope()) {
                // (n, T, dim): a leaf of the server's graph, in the server model's dtype whatever the wire carried
                Tensor sent = p.hidden().narrow(0, from, n).detach().to(s.model().dtype().scalarType()).clone();
                Tensor targets = p.targets().narrow(0, from, n);
                if (recompute) {
                    double[] part = new double[1];
                    // the recomputed step hands back a tensor no scope owns: escape gives it to the caller's scope
                    grads.push_back(micro.escape(recomputedStep(s, ctx, sent, targets, tokens, chunkedHead, part)));
                    loss += part[0];
                    continue;
                }
                sent.set_requires_grad(true);
                Tensor h = s.model().forwardLayers(sent, s.cut(), s.model().config().nLayers(), ctx);
                if (chunkedHead && ChunkedHeadLoss.needsChunks(s.model(), h)) {
                    // the head and loss a chunk of tokens at a time; their gradient then flows down the layers' graph
                    ChunkedHeadLoss.Result head = ChunkedHeadLoss.lossAndGradient(s.model(), h, targets,
                            Math.max(1, tokens), ctx);
                    h.backward(head.grad(), new BoolOptional(), false, new TensorArrayRefOptional());
                    loss += head.loss();
                } else {
                    Tensor part = Loss.crossEntropySum(s.model().head(h, ctx), targets)
                            .div(Tensors.scalar(Math.max(1, tokens)));
                    part.backward();
                    loss += part.item().toDouble();
                }
                // grad() is a view owned by the leaf, which dies with this scope: an owning handle escapes instead
                grads.push_back(micro.escape(sent.grad().detach()));
            }
        }
        Tensor grad = step == rows ? grads.get(0) : org.bytedeco.pytorch.global.torch.cat(grads, 0);
        return new GradientPayload(grad, loss, tokens);
    }

    /**
     * One micro-batch through layers [cut, N), norm, head and loss with layer-granular recomputation:
     * <ol>
     *   <li>without autograd, run the layers keeping only each layer's input, and the dropout generator's state
     *       before each layer (LoRA dropout draws its masks from the device's generator);</li>
     *   <li>with autograd, norm, head and loss from a detached leaf of the last hidden state (or a chunk of target
     *       tokens at a time, {@link ChunkedHeadLoss}); backward; the gradient goes down; note the generator's state
     *       (where the plain path leaves it);</li>
     *   <li>for layer N-1 down to cut: put the generator back to that layer's state, so its masks are drawn again
     *       exactly, rerun the layer with autograd from a leaf of its saved input, back-propagate the incoming
     *       gradient; the leaf's gradient goes down (adapter gradients accumulate in their .grad());</li>
     *   <li>leave the generator in the state noted in step 2.</li>
     * </ol>
     * Each layer runs the plain path's ops on the same values, so the gradients equal the plain path's.
     *
     * @param sent    (n, T, dim) the micro-batch's cut activations; the caller owns it
     * @param targets (n, T) int64
     * @param tokens  target tokens of the whole batch (the loss is their mean)
     * @param chunkedHead the head and loss in chunks of target tokens
     * @param loss    receives this micro-batch's part of the loss
     * @return (n, T, dim) the gradient at the cut, owned by the caller
     */
    private static Tensor recomputedStep(ServerState s, ForwardContext ctx, Tensor sent, Tensor targets, long tokens,
                                         boolean chunkedHead, double[] loss) {
        DecoderModel model = s.model();
        int cut = s.cut();
        int layers = model.config().nLayers() - cut;
        Generator rng = s.rng();
        if (rng == null && s.adapters().config().dropout() > 0) {
            // masks from libtorch's global generator cannot be drawn again: the recomputed layers would differ
            throw new IllegalStateException("recomputing the server segment with LoRA dropout needs the device's own generator");
        }
        Tensor[] inputs = new Tensor[layers + 1];   // inputs[i]: (n, T, dim) input of layer cut + i; inputs[layers]: the last output
        Tensor[] rngStates = new Tensor[layers];  // the generator's state before layer cut + i
        Tensor afterHead = null;
        Tensor grad = null;                       // (n, T, dim) gradient of the loss w.r.t. the current layer's output
        inputs[0] = sent;                         // the caller's: never closed here
        try {
            try (NoGradGuard noGrad = new NoGradGuard()) {
                for (int i = 0; i < layers; i++) {
                    try (NativeScope layer = new NativeScope()) {
                        if (rng != null) {
                            rngStates[i] = layer.keep(rng.get_state());
                        }
                        inputs[i + 1] = layer.keep(model.forwardLayers(inputs[i], cut + i, cut + i + 1, ctx));
                    }
                }
            }
            try (NativeScope head = new NativeScope()) {
                if (chunkedHead && ChunkedHeadLoss.needsChunks(model, inputs[layers])) {
                    ChunkedHeadLoss.Result r = ChunkedHeadLoss.lossAndGradient(model, inputs[layers], targets,
                            Math.max(1, tokens), ctx);
                    loss[0] = r.loss();
                    grad = head.keep(r.grad());
                } else {
                    Tensor last = inputs[layers].detach();
                    last.set_requires_grad(true);
                    Tensor part = Loss.crossEntropySum(model.head(last, ctx), targets)
                            .div(Tensors.scalar(Math.max(1, tokens)));
                    part.backward();
                    loss[0] = part.item().toDouble();
                    grad = head.keep(last.grad().detach());
                }
                if (rng != null) {
                    afterHead = head.keep(rng.get_state());
                }
            }
            if (layers > 0) {
                inputs[layers].close();
                inputs[layers] = null;
            }
            for (int i = layers - 1; i >= 0; i--) {
                if (rng != null) {
                    rng.set_state(rngStates[i]);
                }
                try (NativeScope layer = new NativeScope()) {
                    Tensor in = inputs[i].detach();
                    in.set_requires_grad(true);
                    Tensor out = model.forwardLayers(in, cut + i, cut + i + 1, ctx);
                    out.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
                    Tensor down = layer.keep(in.grad().detach());
                    grad.close();
                    grad = down;
                }
                if (i > 0) {
                    inputs[i].close();
                    inputs[i] = null;
                }
            }
            if (rng != null) {
                rng.set_state(afterHead);
            }
            Tensor result = grad;
            grad = null;
            return result;
        } finally {
            for (int i = 1; i < inputs.length; i++) {
                closeIfOwned(inputs[i]);
            }
            for (Tensor t : rngStates) {
                closeIfOwned(t);
            }
            closeIfOwned(afterHead);
            closeIfOwned(grad);
        }
    }

    private static void closeIfOwned(Tensor t) {
        if (t != null && !t.isNull()) {
            t.close();
        }
    }
}
