package org.memsfl.model;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.Tensors;

/**
 * Rotary position embedding (Su et al., RoFormer, 2021) in the Hugging Face "rotate half" layout: dimension i is
 * paired with i + headDim/2. llama2.c checkpoints pair neighbours instead; their loader permutes q and k rows so
 * one layout serves both. Frequencies follow {@link RopeScaling}; angles are computed in float64 and rounded once.
 *
 * <p>Tables are built on demand up to the longest position seen (doubling, capped at the context), not for the whole
 * context at load: a 128K-context checkpoint would otherwise hold hundreds of MB of tables. Superseded tables stay
 * alive until {@link #close}, since another thread may be reading them.
 */
final class Rope {

    private final int headDim;
    private final double theta;
    private final RopeScaling scaling;
    private final int maxSeqLen;
    private final List<Tensor> retired = new ArrayList<>();
    private volatile Tensor[] shortTable; // {cos, sin}, each (length, headDim)
    private volatile Tensor[] longTable;  // longrope beyond the original context

    Rope(int headDim, int maxSeqLen, double theta, RopeScaling scaling) {
        this.headDim = headDim;
        this.theta = theta;
        this.scaling = scaling;
        this.maxSeqLen = maxSeqLen;
    }

    /**
     * Rotates x (B, heads, T, headDim) whose first position is {@code start}; {@code seqLen} is the length the whole
     * forward covers (start + T), which picks longrope's factors as the reference implementation does.
     */
    Tensor apply(Tensor x, long start, long seqLen) {
        long t = x.size(2);
        long hd = x.size(3);
        Tensor[] table = table(start + t, scaling.usesLong(seqLen));
        Tensor c = table[0].narrow(0, start, t).to(x.scalar_type());
        Tensor s = table[1].narrow(0, start, t).to(x.scalar_type());
        Tensor x1 = x.narrow(3, 0, hd / 2);
        Tensor x2 = x.narrow(3, hd / 2, hd / 2);
        Tensor rotated = torch.cat(new TensorVector(x2.neg(), x1), 3);
        return x.mul(c).add(rotated.mul(s));
    }

    private Tensor[] table(long needed, boolean useLong) {
        if (needed > maxSeqLen) {
            throw new IllegalArgumentException("position " + (needed - 1) + " is beyond the context of " + maxSeqLen);
        }
        Tensor[] t = useLong ? longTable : shortTable;
        if (t != null && t[0].size(0) >= needed) {
            return t;
        }
        synchronized (this) {
            t = useLong ? longTable : shortTable;
            if (t != null && t[0].size(0) >= needed) {
                return t;
            }
            int length = (int) Math.min(maxSeqLen, Math.max(needed, t == null ? 256 : 2 * t[0].size(0)));
            Tensor[] built = build(length, useLong);
            if (t != null) {
                retired.add(t[0]);
                retired.add(t[1]);
            }
            if (useLong) {
                longTable = built;
            } else {
                shortTable = built;
            }
            return built;
        }
    }

    private Tensor[] build(int length, boolean useLong) {
        double[] inv = scaling.invFreq(headDim, theta, useLong);
        double mult = scaling.attentionFactor();
        int half = headDim / 2;
        float[] c = new float[length * headDim];
        float[] s = new float[length * headDim];
        for (int pos = 0; pos < length; pos++) {
            for (int i = 0; i < half; i++) {
                double angle = pos * inv[i];
                float ci = (float) (Math.cos(angle) * mult);
                float si = (float) (Math.sin(angle) * mult);
                c[pos * headDim + i] = ci;
                c[pos * headDim + i + half] = ci;
                s[pos * headDim + i] = si;
                s[pos * headDim + i + half] = si;
            }
        }
        Tensor[] out = {Tensors.fromFloats(c, length, headDim), Tensors.fromFloats(s, length, headDim)};
        out[0].retainReference();
        out[1].retainReference();
        return out;
    }

    synchronized void close() {
        for (Tensor[] t : new Tensor[][] {shortTable, longTable}) {
            if (t != null) {
                retired.add(t[0]);
                retired.add(t[1]);
            }
        }
        retired.forEach(Tensor::releaseReference);
        retired.clear();
        shortTable = null;
        longTable = null;
    }
}
