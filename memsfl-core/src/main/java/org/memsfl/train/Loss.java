package org.memsfl.train;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Next-token cross entropy, mean over target tokens; positions with target -100 (prompt, padding) carry no loss.
 * Logits in bf16/fp16 are cast to float32 before the log-softmax (as Hugging Face's loss does with
 * {@code logits.float()}), so the loss and its sum never snap to the half-precision grid.
 */
public final class Loss {

    public static final int IGNORE = -100;

    private Loss() {
    }

    /**
     * @param logits  (B, T, V)
     * @param targets (B, T) int64, target of position t is the token at t + 1 or -100
     * @return scalar mean nats per target token
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        long v = logits.size(2);
        return torch.cross_entropy_loss(fp32(logits).reshape(-1, v), targets.reshape(-1), new TensorOptional(), 1, IGNORE, 0.0);
    }

    /** Summed (not averaged) loss, for exact means over many batches. */
    public static Tensor crossEntropySum(Tensor logits, Tensor targets) {
        long v = logits.size(2);
        return torch.cross_entropy_loss(fp32(logits).reshape(-1, v), targets.reshape(-1), new TensorOptional(), 2, IGNORE, 0.0);
    }

    /** Half-precision logits as float32 (float32 and float64 logits are left as they are); the cast is differentiable. */
    public static Tensor fp32(Tensor logits) {
        torch.ScalarType t = logits.scalar_type().intern();
        return t == torch.ScalarType.BFloat16 || t == torch.ScalarType.Half ? logits.to(torch.ScalarType.Float) : logits;
    }
}
