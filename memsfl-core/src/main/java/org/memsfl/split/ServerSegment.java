package org.memsfl.split;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.NativeScope;
import org.memsfl.model.ForwardContext;
import org.memsfl.train.GradClip;
import org.memsfl.train.Loss;

/**
 * The edge server's half of split training. For each device's activations it runs layers [cut, N), the final
 * norm and the head with that device's server-side adapters, takes the loss, back-propagates into those adapters,
 * steps their optimizer, and returns the gradient at the cut. One call serves one device; the caller decides the
 * order (the scheduler) and whether calls overlap (they never share state unless the method shares it).
 */
public final class ServerSegment {

    private final Map<String, ServerState> states = new LinkedHashMap<>();
    private final int microBatchRows;

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
        if (microBatchRows < 0) {
            throw new IllegalArgumentException("micro-batch rows must be >= 0, got " + microBatchRows);
        }
        this.microBatchRows = microBatchRows;
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
            GradientPayload g = gradient(s, p, microBatchRows);
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
        long tokens = 0;
        for (long t : org.memsfl.engine.Tensors.toLongs(p.targets())) {
            if (t != Loss.IGNORE) {
                tokens++;
            }
        }
        long rows = p.hidden().size(0);
        long step = microBatchRows <= 0 ? rows : Math.min(rows, microBatchRows);
        ForwardContext ctx = ForwardContext.training(s.adapters(), s.rng());
        s.optimizer().zeroGrad();
        double loss = 0;
        org.bytedeco.pytorch.TensorVector grads = new org.bytedeco.pytorch.TensorVector();
        for (long from = 0; from < rows; from += step) {
            long n = Math.min(step, rows - from);
            // one scope per micro-batch: its forward outputs and logits are freed before the next one starts
            try (NativeScope micro = new NativeScope()) {
                Tensor sent = p.hidden().narrow(0, from, n).detach().clone(); // (n, T, dim): a leaf of the server's graph
                sent.set_requires_grad(true);
                Tensor h = s.model().forwardLayers(sent, s.cut(), s.model().config().nLayers(), ctx);
                Tensor part = Loss.crossEntropySum(s.model().head(h, ctx), p.targets().narrow(0, from, n))
                        .div(org.memsfl.engine.Tensors.scalar(Math.max(1, tokens)));
                part.backward();
                loss += part.item().toDouble();
                // grad() is a view owned by the leaf, which dies with this scope: an owning handle escapes instead
                grads.push_back(micro.escape(sent.grad().detach()));
            }
        }
        Tensor grad = step == rows ? grads.get(0) : org.bytedeco.pytorch.global.torch.cat(grads, 0);
        return new GradientPayload(grad, loss, tokens);
    }
}
