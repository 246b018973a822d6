package org.memsfl.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.Tensors;

/**
 * Rotary position embedding (Su et al., RoFormer, 2021) in the Hugging Face "rotate half" layout: dimension i is
 * paired with i + headDim/2. llama2.c checkpoints pair neighbours instead; their loader permutes q and k rows so
 * one layout serves both.
 */
final class Rope {

    private final Tensor cos; // (maxSeqLen, headDim)
    private final Tensor sin; // (maxSeqLen, headDim)

    Rope(int headDim, int maxSeqLen, double theta) {
        int half = headDim / 2;
        float[] c = new float[maxSeqLen * headDim];
        float[] s = new float[maxSeqLen * headDim];
        for (int pos = 0; pos < maxSeqLen; pos++) {
            for (int i = 0; i < half; i++) {
                double freq = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
                double angle = pos * freq;
                float ci = (float) Math.cos(angle);
                float si = (float) Math.sin(angle);
                c[pos * headDim + i] = ci;
                c[pos * headDim + i + half] = ci;
                s[pos * headDim + i] = si;
                s[pos * headDim + i + half] = si;
            }
        }
        cos = Tensors.fromFloats(c, maxSeqLen, headDim);
        sin = Tensors.fromFloats(s, maxSeqLen, headDim);
    }

    /** Rotates x (B, heads, T, headDim) whose first position is {@code start}. */
    Tensor apply(Tensor x, long start) {
        long t = x.size(2);
        long hd = x.size(3);
        Tensor c = cos.narrow(0, start, t).to(x.scalar_type());
        Tensor s = sin.narrow(0, start, t).to(x.scalar_type());
        Tensor x1 = x.narrow(3, 0, hd / 2);
        Tensor x2 = x.narrow(3, hd / 2, hd / 2);
        Tensor rotated = torch.cat(new TensorVector(x2.neg(), x1), 3);
        return x.mul(c).add(rotated.mul(s));
    }

    void close() {
        cos.close();
        sin.close();
    }
}
