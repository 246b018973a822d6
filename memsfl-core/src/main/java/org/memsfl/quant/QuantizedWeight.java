package org.memsfl.quant;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** A frozen (rows, cols) weight in a storage form; {@link #dequantize} rebuilds the float tensor for compute. */
public interface QuantizedWeight extends AutoCloseable {

    /** (rows, cols) in {@code type}, a fresh tensor owned by the caller's scope. */
    Tensor dequantize(torch.ScalarType type);

    /** The weight's shape, {rows, cols}. */
    long[] shape();

    /** Bytes held, all constants included. */
    long bytes();

    WeightStorage storage();

    @Override
    void close();
}
