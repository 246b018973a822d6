package org.memsfl.engine;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Creating tensors from Java arrays and reading them back; every tensor returned owns its memory. */
public final class Tensors {

    private Tensors() {
    }

    public static TensorOptions options(torch.ScalarType type) {
        return new TensorOptions(type);
    }

    public static Tensor fromFloats(float[] data, long... shape) {
        Engine.init();
        checkCount(data.length, shape);
        try (FloatPointer p = new FloatPointer(data)) {
            return torch.from_blob(p, shape, options(torch.ScalarType.Float)).clone();
        }
    }

    public static Tensor fromDoubles(double[] data, long... shape) {
        Engine.init();
        checkCount(data.length, shape);
        try (DoublePointer p = new DoublePointer(data)) {
            return torch.from_blob(p, shape, options(torch.ScalarType.Double)).clone();
        }
    }

    public static Tensor fromLongs(long[] data, long... shape) {
        Engine.init();
        checkCount(data.length, shape);
        try (LongPointer p = new LongPointer(data)) {
            return torch.from_blob(p, shape, options(torch.ScalarType.Long)).clone();
        }
    }

    /** A bool tensor (one byte per element, 1 for true), e.g. an attention mask. */
    public static Tensor fromBooleans(boolean[] data, long... shape) {
        Engine.init();
        checkCount(data.length, shape);
        byte[] bytes = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            bytes[i] = (byte) (data[i] ? 1 : 0);
        }
        try (BytePointer p = new BytePointer(bytes)) {
            return torch.from_blob(p, shape, options(torch.ScalarType.Bool)).clone();
        }
    }

    public static Tensor zeros(torch.ScalarType type, long... shape) {
        Engine.init();
        return torch.zeros(shape, options(type));
    }

    public static float[] toFloats(Tensor t) {
        Tensor c = t.to(torch.ScalarType.Float).contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    public static double[] toDoubles(Tensor t) {
        Tensor c = t.to(torch.ScalarType.Double).contiguous();
        double[] out = new double[(int) c.numel()];
        c.data_ptr_double().get(out);
        return out;
    }

    public static long[] toLongs(Tensor t) {
        Tensor c = t.to(torch.ScalarType.Long).contiguous();
        long[] out = new long[(int) c.numel()];
        c.data_ptr_long().get(out);
        return out;
    }

    public static double item(Tensor t) {
        return t.item().toDouble();
    }

    public static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    /** Detached copy that owns its memory: what crosses a split or gets stored. */
    public static Tensor detachedCopy(Tensor t) {
        return t.detach().clone();
    }

    private static void checkCount(long n, long[] shape) {
        long expected = 1;
        for (long d : shape) {
            expected *= d;
        }
        if (expected != n) {
            throw new IllegalArgumentException("data has " + n + " elements but shape " + java.util.Arrays.toString(shape)
                    + " needs " + expected);
        }
    }
}
