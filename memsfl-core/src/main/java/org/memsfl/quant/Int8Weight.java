package org.memsfl.quant;

import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;

/**
 * Per-output-channel symmetric absmax int8 (LLM.int8()'s vector-wise quantization without its outlier
 * decomposition): row r of W is stored as {@code q = round(W[r] / s_r)} in [-127, 127] with
 * {@code s_r = max|W[r]| / 127}, and read back as {@code q * s_r}. Each element's error is at most {@code s_r / 2}.
 *
 * @param values (rows, cols) int8
 * @param scales (rows, 1) float32
 */
public record Int8Weight(Tensor values, Tensor scales) implements QuantizedWeight {

    /** @param w (rows, cols) floating; quantized in float32 */
    public static Int8Weight quantize(Tensor w) {
        if (w.dim() != 2) {
            throw new IllegalArgumentException("int8 storage takes a 2-D weight, got " + w.dim() + " dimensions");
        }
        try (NativeScope scope = new NativeScope()) {
            Tensor f = w.detach().to(torch.ScalarType.Float);
            Tensor scales = f.abs().amax(new long[] {1}, true).div(Tensors.scalar(127.0)); // (rows, 1)
            Tensor safe = torch.where(scales.gt(Tensors.scalar(0)), scales, torch.ones_like(scales));
            Tensor q = f.div(safe).round().clamp(new ScalarOptional(Tensors.scalar(-127)),
                    new ScalarOptional(Tensors.scalar(127))).to(torch.ScalarType.Char).contiguous();
            return new Int8Weight(scope.keep(q), scope.keep(scales.contiguous()));
        }
    }

    @Override
    public Tensor dequantize(torch.ScalarType type) {
        try (NativeScope scope = new NativeScope()) {
            return scope.escape(values.to(torch.ScalarType.Float).mul_(scales).to(type)); // one float copy, scaled in place
        }
    }

    @Override
    public long[] shape() {
        return Tensors.shape(values);
    }

    @Override
    public long bytes() {
        return values.numel() + scales.numel() * 4;
    }

    @Override
    public WeightStorage storage() {
        return WeightStorage.INT8;
    }

    @Override
    public void close() {
        values.close();
        scales.close();
    }
}
