package org.memsfl.lora;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** The LoRA forward: a frozen linear plus the scaled low-rank update. */
public final class Lora {

    private Lora() {
    }

    /**
     * {@code x W^T + bias + scale * B A dropout(x)}.
     *
     * @param x    (..., in)
     * @param w    (out, in) frozen
     * @param bias (out) or null
     * @param lora the adapter or null for a plain linear
     * @return (..., out)
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias, LoraWeights lora, double scale, LoraDropout dropout) {
        Tensor y = bias == null ? torch.linear(x, w) : torch.linear(x, w, new TensorOptional(bias));
        if (lora == null) {
            return y;
        }
        return y.add(update(x, lora, scale, dropout));
    }

    /** {@code scale * B A dropout(x)}: (..., in) to (..., out). */
    public static Tensor update(Tensor x, LoraWeights lora, double scale, LoraDropout dropout) {
        Tensor in = dropout.apply(x);
        return torch.linear(torch.linear(in, lora.a()), lora.b()).mul(new Scalar(scale));
    }
}
