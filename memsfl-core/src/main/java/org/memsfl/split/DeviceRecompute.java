package org.memsfl.split;

import java.util.function.Function;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.memsfl.data.Batch;
import org.memsfl.engine.NativeScope;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;
import org.memsfl.train.BatchTensors;

/**
 * A device's local step with layer-granular recomputation (activation checkpointing, Chen et al., 2016), the device
 * counterpart of {@code ServerSegment}'s recomputed step:
 * <ol>
 *   <li>without autograd, embed and run layers [0, cut), keeping each layer's input and the dropout generator's
 *       state before each layer; send the last output;</li>
 *   <li>for layer cut-1 down to 0: put the generator back, rerun the layer with autograd from a leaf of its saved
 *       input (a quantized layer is dequantized again here), back-propagate the incoming gradient, pass the leaf's
 *       gradient down;</li>
 *   <li>with autograd, embed again and back-propagate into the embedding adapter, if there is one;</li>
 *   <li>leave the generator where the plain forward leaves it.</li>
 * </ol>
 * The same ops run on the same values as in the plain path, so the gradients are the plain path's.
 */
final class DeviceRecompute {

    private DeviceRecompute() {
    }

    /**
     * The gradient payload the server returned (its tensor is the caller's to close); the device adapters' .grad()
     * are filled, their optimizer step is the caller's.
     */
    static GradientPayload step(DeviceSegment d, Batch b, Function<ActivationPayload, GradientPayload> server,
                                ForwardContext ctx, Generator rng) {
        DecoderModel model = d.model();
        int cut = d.cut();
        Tensor ids = BatchTensors.inputIds(b);         // (B, T) int64
        Tensor[] inputs = new Tensor[cut + 1];        // inputs[i]: (B, T, dim) input of layer i; inputs[cut]: the sent output
        Tensor[] states = new Tensor[cut];            // the generator's state before layer i
        Tensor afterForward = null;                   // freed with the caller's scope
        Tensor grad = null;                           // (B, T, dim) gradient w.r.t. the current layer's output
        GradientPayload g = null;
        try {
            try (NoGradGuard noGrad = new NoGradGuard()) {
                inputs[0] = model.embed(ids, ctx);
                for (int i = 0; i < cut; i++) {
                    try (NativeScope layer = new NativeScope()) {
                        states[i] = layer.keep(rng.get_state());
                        inputs[i + 1] = layer.keep(model.forwardLayers(inputs[i], i, i + 1, ctx));
                    }
                }
                afterForward = rng.get_state();
            }
            g = server.apply(d.payload(inputs[cut], b));
            grad = g.grad();                              // (B, T, dim) gradient at the cut: the caller's, never closed here
            for (int i = cut - 1; i >= 0; i--) {
                rng.set_state(states[i]);
                try (NativeScope layer = new NativeScope()) {
                    Tensor in = inputs[i].detach();
                    in.set_requires_grad(true);
                    Tensor out = model.forwardLayers(in, i, i + 1, ctx);
                    out.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
                    // one gradient lives at a time: the one just consumed is freed now, not with the step's scope
                    Tensor down = layer.keep(in.grad().detach());
                    if (grad != g.grad()) {
                        grad.close();
                    }
                    grad = down;
                }
                inputs[i + 1].close();
                inputs[i + 1] = null;
            }
            if (d.adapters().embedding() != null) {
                try (NativeScope emb = new NativeScope()) {
                    model.embed(ids, ctx).backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
                }
            }
            rng.set_state(afterForward);
            return g;
        } finally {
            if (grad != null && (g == null || grad != g.grad())) {
                grad.close();
            }
            for (int i = 1; i <= cut; i++) {
                if (inputs[i] != null) {
                    inputs[i].close();
                }
            }
            for (Tensor t : states) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }
}
