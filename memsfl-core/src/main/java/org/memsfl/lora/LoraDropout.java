package org.memsfl.lora;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Inverted dropout on a LoRA adapter's input while training.
 *
 * @param p   probability of zeroing an element, in [0, 1); 0 = off (and always off outside training)
 * @param rng the generator the mask is drawn from; null = libtorch's global generator
 */
public record LoraDropout(double p, Generator rng) {

    /** No dropout. */
    public static final LoraDropout NONE = new LoraDropout(0, null);

    public LoraDropout {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + p);
        }
    }

    /** {@code x} with elements zeroed with probability p and the rest scaled by 1/(1-p). */
    public Tensor apply(Tensor x) {
        if (p == 0) {
            return x;
        }
        if (rng == null) {
            return torch.dropout(x, p, true);
        }
        Tensor keep = torch.bernoulli(x.detach(), 1 - p, new GeneratorOptional(rng));
        return x.mul(keep).div(new Scalar(1 - p));
    }
}
