package org.memsfl.round;

import org.memsfl.train.AdamW;

/**
 * The largest device-side update an honest device can upload after one round, for {@link RoundGuards#AUTO}.
 *
 * <p>Each coordinate of one AdamW step (Loshchilov and Hutter 2019, with Adam's bias correction, Kingma and Ba 2015)
 * moves by {@code lr * |m_hat / (sqrt(v_hat) + eps)| + lr * wd * |w|}. With {@code m_t = (1-b1) sum b1^(t-i) g_i} and
 * {@code v_t = (1-b2) sum b2^(t-i) g_i^2}, the Cauchy-Schwarz inequality gives, for any gradients,
 * {@code |m_hat / sqrt(v_hat)| <= (1-b1)/sqrt(1-b2) * sqrt(sum_(k<t) (b1^2/b2)^k) * sqrt(1-b2^t)/(1-b1^t)}, which is
 * 1 at t = 1 and about 7.3 for large t with the default betas ({@link #adamRatio}: its maximum over t). So over
 * {@code I} local steps at a rate of at most {@code lr} the device-side update of {@code P} parameters starting from
 * {@code w0} has an L2 norm of at most {@code I lr (C sqrt(P) + wd (|w0| + I lr C sqrt(P)))}. Gradient clipping and
 * dropout do not change it: it holds whatever the gradients were.
 */
public final class UpdateBound {

    private UpdateBound() {
    }

    /** The largest {@code |m_hat / sqrt(v_hat)|} of any AdamW step with these betas (needs b1^2 < b2). */
    public static double adamRatio(double beta1, double beta2) {
        double q = beta1 * beta1 / beta2;
        if (!(q < 1)) {
            throw new IllegalArgumentException("the AdamW bound needs beta1^2 < beta2, got " + beta1 + ", " + beta2);
        }
        double best = (1 - beta1) / Math.sqrt(1 - beta2) / Math.sqrt(1 - q); // the limit for large t
        double geometric = 0; // sum_(k<t) q^k
        for (int t = 1; t <= 10_000; t++) {
            geometric = geometric * q + 1;
            double r = (1 - beta1) / Math.sqrt(1 - beta2) * Math.sqrt(geometric)
                    * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
            best = Math.max(best, r);
        }
        return best;
    }

    /**
     * The largest L2 norm of one round's honest device-side update.
     *
     * @param localSteps  local steps per round (I)
     * @param lr          the peak learning rate (the warm-up only lowers it)
     * @param parameters  device-side parameters (P)
     * @param startNorm   L2 norm of the adapters the device started the round with
     */
    public static double honestAdamW(AdamW.Settings opt, int localSteps, double lr, long parameters, double startNorm) {
        double c = adamRatio(opt.beta1(), opt.beta2());
        double perStep = lr * c * Math.sqrt(parameters);
        double walk = localSteps * perStep;
        return walk + localSteps * lr * opt.weightDecay() * (startNorm + walk);
    }
}
