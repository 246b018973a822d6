package org.memsfl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.memsfl.engine.Tensors;

/**
 * memsfl's AdamW against libtorch's own {@code torch::optim::AdamW} as the oracle: identical float32 parameter
 * copies, each copy's gradient from the same loss, 20 steps under a changing learning rate.
 *
 * <p>Tolerance: both implement PyTorch's rule (decoupled decay {@code p *= 1 - lr*wd}, then
 * {@code p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)}) with the same float32 kernels, and on the development machine
 * the results are bit-identical. Float32 still leaves room for legitimate differences on other builds or CPUs
 * (vectorised vs scalar kernels, fused multiply-add, a scalar such as {@code 1 - beta1} rounded to float before or
 * inside a kernel): each is about one float32 ulp (6e-8 relative) per operation and step, and each step's difference
 * feeds the next gradient, so over 20 steps a few times 1e-7 is possible. 1e-6 relative to {@code max(|p|, 1e-3)}
 * allows that, while a wrong rule (coupled L2 decay, a missing bias correction, swapped betas, eps inside the root)
 * moves parameters by 1e-4 relative or more after 20 steps at these learning rates; the swapped-betas control below
 * shows the comparison fails when it should.
 */
class AdamWTest {

    private static final int STEPS = 20;
    private static final double TOL = 1e-6;

    @ParameterizedTest(name = "betas=({0},{1}) weightDecay={2}")
    @CsvSource({"0.9, 0.999, 0.01", "0.9, 0.999, 0.0", "0.8, 0.95, 0.1"})
    void matchesLibtorchAdamW(double beta1, double beta2, double weightDecay) {
        Problem prob = new Problem(3);
        Map<String, Tensor> ours = prob.freshParams();
        Map<String, Tensor> theirs = prob.freshParams();
        AdamW.Settings settings = new AdamW.Settings(beta1, beta2, 1e-8, weightDecay);
        org.bytedeco.pytorch.AdamW oracle = libtorch(theirs, beta1, beta2, weightDecay);
        try (AdamW opt = new AdamW(ours, settings)) {
            for (int step = 0; step < STEPS; step++) {
                double lr = lr(step);
                opt.zeroGrad();
                prob.loss(ours).backward();
                opt.step(lr);

                oracle.param_groups().get(0).options().set_lr(lr);
                oracle.zero_grad();
                prob.loss(theirs).backward();
                oracle.step();
            }
            assertThat(opt.steps()).isEqualTo(STEPS);
        }
        assertClose(ours, theirs);
        assertThat(maxRelDiff(ours, prob.freshParams())).as("the optimizer moved the parameters").isGreaterThan(1e-3);
    }

    /** Negative control: libtorch given the betas in their written order (0.9 read as beta2) visibly disagrees. */
    @Test
    void naivelyOrderedBetasDisagree() {
        Problem prob = new Problem(3);
        Map<String, Tensor> ours = prob.freshParams();
        Map<String, Tensor> theirs = prob.freshParams();
        // what a naive put(0, 0.9).put(1, 0.999) does: libtorch then runs with beta1 = 0.999, beta2 = 0.9
        org.bytedeco.pytorch.AdamW oracle = libtorch(theirs, 0.999, 0.9, 0.01);
        try (AdamW opt = new AdamW(ours, new AdamW.Settings(0.9, 0.999, 1e-8, 0.01))) {
            for (int step = 0; step < STEPS; step++) {
                opt.zeroGrad();
                prob.loss(ours).backward();
                opt.step(lr(step));
                oracle.param_groups().get(0).options().set_lr(lr(step));
                oracle.zero_grad();
                prob.loss(theirs).backward();
                oracle.step();
            }
        }
        assertThat(maxRelDiff(ours, theirs)).isGreaterThan(1e-4);
    }

    /** Guards the TRAP in ENGINE-NOTES: libtorch's betas tuple reads back reversed (get(0) is beta2). */
    @Test
    void libtorchBetasAreStoredReversed() {
        AdamWOptions o = new AdamWOptions(1e-3);
        assertThat(o.betas().get(0)).isEqualTo(0.999);
        assertThat(o.betas().get(1)).isEqualTo(0.9);
    }

    /**
     * Checkpointing the moments mid-run and restoring them into a new optimizer over copied parameters continues
     * exactly as the uninterrupted optimizer does: same float32 ops on the same values, so bit-for-bit.
     */
    @Test
    void stateRoundTripContinuesIdentically() {
        Problem prob = new Problem(9);
        Map<String, Tensor> params = prob.freshParams();
        AdamW.Settings settings = new AdamW.Settings(0.9, 0.999, 1e-8, 0.01);
        try (AdamW opt = new AdamW(params, settings)) {
            for (int step = 0; step < STEPS / 2; step++) {
                opt.zeroGrad();
                prob.loss(params).backward();
                opt.step(lr(step));
            }
            // a checkpoint owns copies: state() returns the live moment tensors
            Map<String, Tensor> savedState = new LinkedHashMap<>();
            opt.state().forEach((k, t) -> savedState.put(k, t.detach().clone()));
            Map<String, Tensor> resumedParams = copy(params);
            long savedSteps = opt.steps();

            try (AdamW resumed = new AdamW(resumedParams, settings)) {
                resumed.loadState(savedState, savedSteps);
                assertThat(resumed.steps()).isEqualTo(STEPS / 2);
                for (int step = STEPS / 2; step < STEPS; step++) {
                    opt.zeroGrad();
                    prob.loss(params).backward();
                    opt.step(lr(step));
                    resumed.zeroGrad();
                    prob.loss(resumedParams).backward();
                    resumed.step(lr(step));
                }
                for (String k : params.keySet()) {
                    assertThat(Tensors.toFloats(resumedParams.get(k))).as(k)
                            .containsExactly(Tensors.toFloats(params.get(k)));
                }
                opt.state().forEach((k, t) -> assertThat(Tensors.toFloats(resumed.state().get(k))).as(k)
                        .containsExactly(Tensors.toFloats(t)));
            }

            // and a restore that dropped the step count would not continue identically: the test can fail
            Map<String, Tensor> wrong = copy(params);
            Map<String, Tensor> stateNow = new LinkedHashMap<>();
            opt.state().forEach((k, t) -> stateNow.put(k, t.detach().clone()));
            Map<String, Tensor> right = copy(params);
            try (AdamW a = new AdamW(wrong, settings); AdamW b = new AdamW(right, settings)) {
                a.loadState(stateNow, 1);
                b.loadState(stateNow, opt.steps());
                prob.loss(wrong).backward();
                prob.loss(right).backward();
                a.step(1e-2);
                b.step(1e-2);
                assertThat(maxRelDiff(wrong, right)).isGreaterThan(1e-4);
            }
        }
    }

    @Test
    void loadStateNamesTheMissingParameter() {
        Problem prob = new Problem(1);
        try (AdamW opt = new AdamW(prob.freshParams(), AdamW.Settings.defaults())) {
            assertThatThrownBy(() -> opt.loadState(Map.of(), 3)).hasMessageContaining("w1");
        }
    }

    private static double lr(int step) {
        // warm-up then decay, so a step that used the wrong learning rate would show
        return step < 5 ? 1e-2 * (step + 1) / 5 : 1e-2 * Math.pow(0.9, step - 5);
    }

    private static org.bytedeco.pytorch.AdamW libtorch(Map<String, Tensor> params, double beta1, double beta2,
                                                        double weightDecay) {
        AdamWOptions o = new AdamWOptions(1e-3);
        // std::tuple<double, double> is laid out last element first: index 0 is beta2
        o.betas().put(0, beta2).put(1, beta1);
        o.eps().put(1e-8);
        o.weight_decay().put(weightDecay);
        o.amsgrad().put(false);
        TensorVector v = new TensorVector();
        params.values().forEach(v::push_back);
        return new org.bytedeco.pytorch.AdamW(v, o);
    }

    /**
     * A small least-squares problem with a two-layer product, so gradients change with the parameters and
     * differ across elements by orders of magnitude (exercising the per-element second moment).
     */
    private static final class Problem {
        private final float[] w1;
        private final float[] w2;
        private final float[] bias;
        private final Tensor x;
        private final Tensor y;

        Problem(long seed) {
            SplittableRandom rng = new SplittableRandom(seed);
            w1 = random(rng, 6 * 5, 1.0);
            w2 = random(rng, 4 * 6, 1.0);
            bias = random(rng, 4, 0.01); // small entries: relative error near zero matters too
            x = Tensors.fromFloats(random(rng, 8 * 5, 1.0), 8, 5);
            y = Tensors.fromFloats(random(rng, 8 * 4, 1.0), 8, 4);
        }

        Map<String, Tensor> freshParams() {
            Map<String, Tensor> p = new LinkedHashMap<>();
            p.put("w1", leaf(Tensors.fromFloats(w1, 6, 5)));
            p.put("w2", leaf(Tensors.fromFloats(w2, 4, 6)));
            p.put("bias", leaf(Tensors.fromFloats(bias, 4)));
            return p;
        }

        Tensor loss(Map<String, Tensor> p) {
            Tensor h = org.bytedeco.pytorch.global.torch.tanh(x.matmul(p.get("w1").t()));
            return h.matmul(p.get("w2").t()).add(p.get("bias")).sub(y).pow(Tensors.scalar(2)).mean();
        }

        private static float[] random(SplittableRandom rng, int n, double scale) {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
            }
            return out;
        }
    }

    private static Tensor leaf(Tensor t) {
        t.set_requires_grad(true);
        return t;
    }

    private static Map<String, Tensor> copy(Map<String, Tensor> params) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (NoGradGuard ng = new NoGradGuard()) {
            params.forEach((k, t) -> out.put(k, leaf(t.detach().clone())));
        }
        return out;
    }

    private static void assertClose(Map<String, Tensor> ours, Map<String, Tensor> theirs) {
        List<String> failures = new ArrayList<>();
        for (String k : ours.keySet()) {
            float[] a = Tensors.toFloats(ours.get(k));
            float[] b = Tensors.toFloats(theirs.get(k));
            for (int i = 0; i < a.length; i++) {
                double tol = TOL * Math.max(Math.abs(b[i]), 1e-3);
                if (!(Math.abs(a[i] - b[i]) <= tol)) {
                    failures.add(k + "[" + i + "]: ours " + a[i] + " libtorch " + b[i]);
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    private static double maxRelDiff(Map<String, Tensor> x, Map<String, Tensor> y) {
        double m = 0;
        for (String k : x.keySet()) {
            float[] a = Tensors.toFloats(x.get(k));
            float[] b = Tensors.toFloats(y.get(k));
            for (int i = 0; i < a.length; i++) {
                m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-6));
            }
        }
        return m;
    }
}
