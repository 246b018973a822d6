package org.memsfl.quant;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;

/** A weight kept as a plain float tensor (float32 or bfloat16): dequantizing is a cast. */
record CastWeight(Tensor values, DType dtype) implements QuantizedWeight {

    static CastWeight of(Tensor w, DType dtype) {
        try (org.memsfl.engine.NativeScope scope = new org.memsfl.engine.NativeScope()) {
            // kept: the stored copy belongs to the weight, not to any enclosing scope
            return new CastWeight(scope.keep(w.detach().to(dtype.scalarType()).contiguous().clone()), dtype);
        }
    }

    @Override
    public Tensor dequantize(torch.ScalarType type) {
        // a cast to another dtype is already a fresh tensor; only the same dtype needs a copy, so that the caller's
        // scope never frees the stored values. (to(type).clone() held two float copies of every weight until the
        // layer's scope closed: a second dequantized layer at the device's peak.)
        return values.scalar_type().intern() == type ? values.clone() : values.to(type);
    }

    @Override
    public long[] shape() {
        return Tensors.shape(values);
    }

    @Override
    public long bytes() {
        return values.numel() * dtype.bytes();
    }

    @Override
    public WeightStorage storage() {
        return dtype == DType.BF16 ? WeightStorage.BF16 : WeightStorage.FP32;
    }

    @Override
    public void close() {
        values.close();
    }
}
