package org.memsfl.split;

import java.util.function.Function;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.memsfl.data.Batch;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Rng;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.DropoutKey;
import org.memsfl.model.ForwardContext;
import org.memsfl.train.AdamW;
import org.memsfl.train.BatchTensors;
import org.memsfl.train.GradClip;
import org.memsfl.train.StepResult;

/**
 * A device's half of split training: embedding and layers [0, cut) with the device's adapters. A local step runs
 * the segment, hands the cut-layer activations to the server, receives the gradient there, back-propagates it
 * into the device's adapters (exactly the end-to-end gradient) and steps the device's optimizer.
 */
public final class DeviceSegment implements AutoCloseable {

    private final String id;
    private final int cut;
    private final DecoderModel model;
    private final AdapterSet adapters;
    private final AdamW optimizer;
    private final Generator rng = Rng.generator(0);
    /** Seed of this round's base-model dropout keys ({@link DropoutKey#forStep}); the server derives the same. */
    private long dropoutRound = Rng.seed(0, DropoutKey.STREAM, 0);

    public DeviceSegment(String id, int cut, DecoderModel model, AdapterSet adapters, AdamW.Settings settings) {
        if (cut < 0 || !model.range().embedding() || model.range().to() < cut) {
            throw new IllegalArgumentException("device " + id + ": model part " + model.range() + " cannot run cut " + cut);
        }
        this.id = id;
        this.cut = cut;
        this.model = model;
        this.adapters = adapters;
        this.optimizer = new AdamW(adapters.namedParameters(), settings);
    }

    /** Reseeds the generator the device's adapter dropout draws from, for {@code round} of a run seeded {@code runSeed}. */
    public void beginRound(long runSeed, int round) {
        rng.set_current_seed(Rng.seed(runSeed, "device/" + id, round));
        dropoutRound = Rng.seed(runSeed, DropoutKey.STREAM, round);
    }

    /** The key of this step's base-model dropout masks: the server computes the same from the payload. */
    public DropoutKey dropoutKey(Batch b) {
        return DropoutKey.forStep(dropoutRound, id, b.targets(), b.lengths());
    }

    /** Runs the segment; the returned hidden is part of the autograd graph (detach before sending). */
    public Tensor forward(Batch b) {
        ForwardContext ctx = ForwardContext.training(adapters, rng, dropoutKey(b));
        Tensor h = model.embed(BatchTensors.inputIds(b), ctx);
        return model.forwardLayers(h, 0, cut, ctx); // (B, T, dim)
    }

    /** The payload for a forward result: activations detached from the device's graph. */
    public ActivationPayload payload(Tensor hidden, Batch b) {
        return new ActivationPayload(id, cut, hidden.detach(), BatchTensors.targets(b), b.lengths());
    }

    /** Back-propagates the server's gradient into the device adapters (their .grad() are filled, no step). */
    public void backward(Tensor hidden, Tensor gradAtCut) {
        optimizer.zeroGrad();
        // the wire may carry another dtype than the segment computes in (fp32 gradient, bf16 activations)
        Tensor g = gradAtCut.scalar_type().intern() == hidden.scalar_type().intern() ? gradAtCut
                : gradAtCut.to(hidden.scalar_type());
        hidden.backward(g, new BoolOptional(), false, new TensorArrayRefOptional());
    }

    /**
     * One local step: forward, {@code server} turns the payload into the gradient at the cut, backward, clip, AdamW.
     * All native memory of the step is freed on return.
     */
    public StepResult localStep(Batch b, Function<ActivationPayload, GradientPayload> server, double lr,
                                     double maxGradNorm) {
        return localStep(b, server, lr, maxGradNorm, model.hasQuantizedLayers());
    }

    /**
     * As {@link #localStep(Batch, Function, double, double)}; with {@code recompute} the forward keeps only each
     * layer's input and each layer runs again, with autograd, just before its backward ({@link DeviceRecompute}).
     * A device whose layers are stored quantized always recomputes: otherwise autograd would keep every layer's
     * dequantized float weights until the backward, and the storage would save nothing at the peak.
     */
    public StepResult localStep(Batch b, Function<ActivationPayload, GradientPayload> server, double lr,
                                double maxGradNorm, boolean recompute) {
        try (NativeScope scope = new NativeScope()) {
            GradientPayload g;
            if (recompute) {
                optimizer.zeroGrad();
                g = DeviceRecompute.step(this, b, server, ForwardContext.training(adapters, rng, dropoutKey(b)),
                        rng);
                g.grad().close();
            } else {
                Tensor hidden = forward(b);
                g = server.apply(payload(hidden, b));
                try {
                    backward(hidden, g.grad());
                } finally {
                    g.grad().close();
                }
            }
            double norm = GradClip.clip(adapters.parameters(), maxGradNorm);
            optimizer.step(lr);
            return new StepResult(g.loss(), g.targetTokens(), norm, lr);
        }
    }

    public String id() {
        return id;
    }

    public int cut() {
        return cut;
    }

    public AdapterSet adapters() {
        return adapters;
    }

    /** The generator the adapters' dropout draws from (for tests of where a step leaves it). */
    Generator rng() {
        return rng;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    public DecoderModel model() {
        return model;
    }

    @Override
    public void close() {
        optimizer.close();
    }
}
