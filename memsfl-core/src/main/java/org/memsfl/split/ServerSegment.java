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
            GradientPayload g = gradient(s, p);
            GradClip.clip(s.adapters().parameters(), maxGradNorm);
            s.optimizer().step(lr);
            // grad() is a view owned by the leaf, which dies with the scope: keep an owning handle instead
            return new GradientPayload(scope.keep(g.grad().detach()), g.loss(), g.targetTokens());
        }
    }

    /** Loss and gradient at the cut without an optimizer step (adapters' .grad() are left filled). */
    public static GradientPayload gradient(ServerState s, ActivationPayload p) {
        Tensor sent = p.hidden().detach().clone(); // (B, T, dim): a leaf of the server's own graph
        sent.set_requires_grad(true);
        ForwardContext ctx = ForwardContext.training(s.adapters());
        Tensor h = s.model().forwardLayers(sent, s.cut(), s.model().config().nLayers(), ctx);
        Tensor loss = Loss.crossEntropy(s.model().head(h, ctx), p.targets());
        s.optimizer().zeroGrad();
        loss.backward();
        long tokens = 0;
        for (long t : org.memsfl.engine.Tensors.toLongs(p.targets())) {
            if (t != Loss.IGNORE) {
                tokens++;
            }
        }
        return new GradientPayload(sent.grad(), loss.item().toDouble(), tokens);
    }
}
