package org.memsfl.lora;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * The LoRA forward (Hu et al., LoRA, 2021): a frozen linear plus the scaled low-rank update.
 *
 * <p>Mixed precision follows PEFT's default ({@code autocast_adapter_dtype=True}): the factors stay float32, the
 * update is computed in float32 from the input cast up, and its result is cast back to the frozen path's dtype before
 * the sum. So bf16/fp16 frozen weights train fp32 factors whose gradients never pass through a half-precision matmul.
 */
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
        torch.ScalarType factors = lora.a().scalar_type().intern();
        torch.ScalarType act = x.scalar_type().intern();
        Tensor in = dropout.apply(act == factors ? x : x.to(factors));
        Tensor u = torch.linear(torch.linear(in, lora.a()), lora.b()).mul(new Scalar(scale));
        return act == factors ? u : u.to(act);
    }
}
