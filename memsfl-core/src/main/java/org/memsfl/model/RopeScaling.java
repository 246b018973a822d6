package org.memsfl.model;

import java.util.List;

/**
 * How a checkpoint stretches its rotary frequencies beyond the context it was pre-trained on ({@code rope_scaling} in
 * transformers 4 configs, the scaling part of {@code rope_parameters} in transformers 5). Each type's formula follows
 * its source and transformers' {@code modeling_rope_utils}:
 * <ul>
 * <li>{@code default}: {@code inv_freq_i = theta^(-2i/d)} (Su et al., RoFormer).</li>
 * <li>{@code linear}: position interpolation, {@code inv_freq / factor} (Chen et al., 2023).</li>
 * <li>{@code llama3}: wavelengths longer than {@code original/low_freq_factor} divided by {@code factor}, shorter than
 *     {@code original/high_freq_factor} kept, a linear blend in between (Llama 3.1, Meta 2024).</li>
 * <li>{@code yarn}: per-dimension ramp between interpolation and extrapolation over the correction range of
 *     {@code beta_fast}..{@code beta_slow} rotations, and cos/sin scaled by the attention factor
 *     {@code 0.1 ln(factor) + 1} unless given (Peng et al., YaRN, 2023).</li>
 * <li>{@code longrope}: {@code inv_freq_i / ext_i} with {@code short_factor} while the sequence is at most
 *     {@code original_max_position_embeddings} and {@code long_factor} beyond; cos/sin scaled by
 *     {@code sqrt(1 + ln(factor) / ln(original))} unless given (Ding et al., LongRoPE, 2024; Phi-3).</li>
 * </ul>
 *
 * @param type            default, linear, llama3, yarn or longrope
 * @param factor          scaling factor (1 for default)
 * @param lowFreqFactor   llama3 only
 * @param highFreqFactor  llama3 only
 * @param originalMaxPos  pre-training context (llama3, yarn, longrope); 0 when not used
 * @param betaFast        yarn only
 * @param betaSlow        yarn only
 * @param attentionFactor cos/sin multiplier (yarn, longrope), already resolved; 1 otherwise
 * @param truncate        yarn: round the correction range to whole dimensions
 * @param shortFactor     longrope: head_dim/2 divisors within the original context
 * @param longFactor      longrope: head_dim/2 divisors beyond it
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPos,
                          double betaFast, double betaSlow, double attentionFactor, boolean truncate,
                          List<Double> shortFactor, List<Double> longFactor) {

    /** Plain RoPE. */
    public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 0, 0, 0, 0, 1, true, List.of(), List.of());

    public RopeScaling {
        switch (type) {
            case "default": case "linear": case "llama3": case "yarn": case "longrope": break;
            default: throw new IllegalArgumentException("rope type must be default, linear, llama3, yarn or longrope, got "
                    + type);
        }
        if (!(factor > 0)) {
            throw new IllegalArgumentException("rope factor must be > 0, got " + factor);
        }
        if (type.equals("llama3") && !(highFreqFactor > lowFreqFactor && originalMaxPos > 0)) {
            throw new IllegalArgumentException("llama3 rope needs high_freq_factor > low_freq_factor and "
                    + "original_max_position_embeddings > 0, got " + highFreqFactor + ", " + lowFreqFactor + ", "
                    + originalMaxPos);
        }
        if ((type.equals("yarn") || type.equals("longrope")) && originalMaxPos <= 0) {
            throw new IllegalArgumentException(type + " rope needs original_max_position_embeddings > 0, got "
                    + originalMaxPos);
        }
        if (!(attentionFactor > 0)) {
            throw new IllegalArgumentException("rope attention_factor must be > 0, got " + attentionFactor);
        }
        shortFactor = List.copyOf(shortFactor);
        longFactor = List.copyOf(longFactor);
        if (type.equals("longrope") && (shortFactor.isEmpty() || shortFactor.size() != longFactor.size())) {
            throw new IllegalArgumentException("longrope needs short_factor and long_factor of equal, non-zero length, got "
                    + shortFactor.size() + " and " + longFactor.size());
        }
    }

    /** YaRN's attention factor {@code 0.1 mscale ln(scale) + 1} (1 for scale <= 1). */
    static double yarnMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    /** LongRoPE's default attention factor for a context stretched by {@code factor} from {@code original}. */
    static double longropeAttentionFactor(double factor, int original) {
        return factor <= 1 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
    }

    /** Whether a forward whose last position is {@code seqLen - 1} uses longrope's long factors. */
    boolean usesLong(long seqLen) {
        return type.equals("longrope") && seqLen > originalMaxPos;
    }

    /**
     * Inverse frequencies (radians per position) of the rotated pairs, in float64.
     *
     * @param headDim rotated size (even)
     * @param theta   base
     * @param useLong longrope: the long factors (see {@link #usesLong})
     * @return head_dim / 2 values
     */
    double[] invFreq(int headDim, double theta, boolean useLong) {
        int half = headDim / 2;
        double[] base = new double[half];
        for (int i = 0; i < half; i++) {
            base[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        switch (type) {
            case "linear":
                for (int i = 0; i < half; i++) {
                    base[i] /= factor;
                }
                return base;
            case "llama3":
                return llama3(base);
            case "yarn":
                return yarn(base, headDim, theta);
            case "longrope":
                List<Double> ext = useLong ? longFactor : shortFactor;
                if (ext.size() != half) {
                    throw new IllegalArgumentException("longrope factors have " + ext.size() + " entries, head_dim/2 is "
                            + half);
                }
                for (int i = 0; i < half; i++) {
                    base[i] /= ext.get(i);
                }
                return base;
            default:
                return base;
        }
    }

    private double[] llama3(double[] f) {
        double lowWavelen = originalMaxPos / lowFreqFactor;
        double highWavelen = originalMaxPos / highFreqFactor;
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen < highWavelen) {
                out[i] = f[i];
            } else if (wavelen > lowWavelen) {
                out[i] = f[i] / factor;
            } else {
                double smooth = (originalMaxPos / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[i] = (1 - smooth) * f[i] / factor + smooth * f[i];
            }
        }
        return out;
    }

    private double[] yarn(double[] extrapolation, int dim, double theta) {
        double low = correctionDim(betaFast, dim, theta);
        double high = correctionDim(betaSlow, dim, theta);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001; // as the reference does, to avoid a zero-width ramp
        }
        double[] out = new double[extrapolation.length];
        for (int i = 0; i < out.length; i++) {
            double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
            double extrapolationWeight = 1 - ramp;
            double interpolation = extrapolation[i] / factor;
            out[i] = interpolation * (1 - extrapolationWeight) + extrapolation[i] * extrapolationWeight;
        }
        return out;
    }

    /** The dimension at which a wave completes {@code rotations} turns over the original context. */
    private double correctionDim(double rotations, int dim, double theta) {
        return dim * Math.log(originalMaxPos / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }
}
