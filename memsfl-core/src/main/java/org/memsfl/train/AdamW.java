package org.memsfl.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019) with PyTorch's update rule, over
 * named parameters. Written here rather than using libtorch's optimizer so that the moments are plain named tensors:
 * they can be checkpointed, shipped and kept per device while aggregation overwrites the parameters in place.
 * libtorch's AdamW is the oracle it is tested against.
 */
public final class AdamW implements AutoCloseable {

    /** Hyper-parameters; the learning rate is given per step by the schedule. */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(eps > 0)) {
                throw new IllegalArgumentException("eps must be > 0, got " + eps);
            }
            if (!(weightDecay >= 0)) {
                throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
            }
        }

        public static Settings defaults() {
            return new Settings(0.9, 0.999, 1e-8, 0.0);
        }
    }

    private final Settings settings;
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>();
    private final Map<String, Tensor> expAvgSq = new LinkedHashMap<>();
    private long step;

    public AdamW(Map<String, Tensor> params, Settings settings) {
        this.params = new LinkedHashMap<>(params);
        this.settings = settings;
        try (NoGradGuard ng = new NoGradGuard()) {
            params.forEach((k, p) -> {
                expAvg.put(k, torch.zeros_like(p));
                expAvgSq.put(k, torch.zeros_like(p));
            });
        }
    }

    /** One update with learning rate {@code lr}; parameters without a gradient are skipped. */
    public void step(double lr) {
        step++;
        double b1 = settings.beta1();
        double b2 = settings.beta2();
        double bc1 = 1 - Math.pow(b1, step);
        double bc2 = Math.sqrt(1 - Math.pow(b2, step));
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor g = p.grad();
                if (!g.defined()) {
                    continue;
                }
                Tensor m = expAvg.get(e.getKey());
                Tensor v = expAvgSq.get(e.getKey());
                if (settings.weightDecay() > 0) {
                    p.mul_(new Scalar(1 - lr * settings.weightDecay()));
                }
                m.mul_(new Scalar(b1)).add_(g, new Scalar(1 - b1));
                v.mul_(new Scalar(b2)).addcmul_(g, g, new Scalar(1 - b2));
                Tensor denom = v.sqrt().div_(new Scalar(bc2)).add_(new Scalar(settings.eps()));
                p.addcdiv_(m, denom, new Scalar(-lr / bc1));
            }
        }
    }

    /** Clears gradients so the next backward starts from zero. */
    public void zeroGrad() {
        for (Tensor p : params.values()) {
            Tensor g = p.grad();
            if (g.defined()) {
                g.zero_();
            }
        }
    }

    public long steps() {
        return step;
    }

    /** Moments under {@code <name>.exp_avg} / {@code <name>.exp_avg_sq}, for checkpoints. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> s = new LinkedHashMap<>();
        expAvg.forEach((k, t) -> s.put(k + ".exp_avg", t));
        expAvgSq.forEach((k, t) -> s.put(k + ".exp_avg_sq", t));
        return s;
    }

    /** Restores moments and the step count written by {@link #state()}. */
    public void loadState(Map<String, Tensor> state, long steps) {
        try (NoGradGuard ng = new NoGradGuard()) {
            for (String k : params.keySet()) {
                Tensor m = state.get(k + ".exp_avg");
                Tensor v = state.get(k + ".exp_avg_sq");
                if (m == null || v == null) {
                    throw new IllegalArgumentException("optimizer state lacks moments of " + k);
                }
                expAvg.get(k).copy_(m);
                expAvgSq.get(k).copy_(v);
            }
        }
        this.step = steps;
    }

    @Override
    public void close() {
        expAvg.values().forEach(Tensor::close);
        expAvgSq.values().forEach(Tensor::close);
    }
}
