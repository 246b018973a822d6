package org.memsfl.train;

import java.util.Collection;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/** Global-norm gradient clipping (Pascanu et al., 2013), as torch.nn.utils.clip_grad_norm_. */
public final class GradClip {

    private GradClip() {
    }

    /** Scales all gradients so their joint L2 norm is at most {@code maxNorm}; returns the norm before clipping. */
    public static double clip(Collection<Tensor> params, double maxNorm) {
        double sq = 0;
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g.defined()) {
                    double n = g.norm().item().toDouble();
                    sq += n * n;
                }
            }
            double norm = Math.sqrt(sq);
            if (maxNorm > 0 && norm > maxNorm) {
                double coef = maxNorm / (norm + 1e-6);
                for (Tensor p : params) {
                    Tensor g = p.grad();
                    if (g.defined()) {
                        g.mul_(new Scalar(coef));
                    }
                }
            }
            return norm;
        }
    }
}
