package org.memsfl.round;

import java.util.Locale;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.settings.RoundSettings;
import org.memsfl.engine.NativeScope;
import org.memsfl.lora.AdapterSet;
import org.memsfl.train.AdamW;

/**
 * The checks an upload passes before a round takes it ({@link RoundGuards}): every value finite, and the update (the
 * upload minus the adapters the device started the round with) within the norm bound, or scaled onto it.
 */
final class UploadCheck {

    private UploadCheck() {
    }

    /**
     * Checks {@code upload} against {@code start} (same keys); clips it in place when the guards say so.
     *
     * @return the update's L2 norm before any clipping
     * @throws RoundRefusal (INVALID) a NaN or infinity, or an update above the bound when refusing
     */
    static double check(String id, AdapterSet upload, AdapterSet start, RoundGuards g, RoundSettings s) {
        double sq = 0;
        double startSq = 0;
        try (NativeScope scope = new NativeScope(); NoGradGuard ng = new NoGradGuard()) {
            Map<String, Tensor> up = upload.toTensorMap();
            Map<String, Tensor> from = start.toTensorMap();
            if (!up.keySet().equals(from.keySet())) {
                throw new RoundRefusal(RoundRefusal.Kind.INVALID, "device " + id + " uploaded adapters " + up.keySet()
                        + "; its cut holds " + from.keySet());
            }
            for (Map.Entry<String, Tensor> e : up.entrySet()) {
                Tensor u = e.getValue();
                if (!torch.isfinite(u).all().item().toBool()) {
                    throw new RoundRefusal(RoundRefusal.Kind.INVALID, "device " + id + " uploaded " + e.getKey()
                            + " with NaN or infinite values");
                }
                Tensor s0 = from.get(e.getKey());
                sq += u.to(torch.ScalarType.Double).sub(s0.to(torch.ScalarType.Double)).pow(new Scalar(2)).sum()
                        .item().toDouble();
                startSq += s0.to(torch.ScalarType.Double).pow(new Scalar(2)).sum().item().toDouble();
            }
            double norm = Math.sqrt(sq);
            double bound = g.maxUpdateNorm() == RoundGuards.AUTO
                    ? UpdateBound.honestAdamW(AdamW.Settings.defaults(), s.localSteps(), s.lr(), upload.numParameters(),
                    Math.sqrt(startSq))
                    : g.maxUpdateNorm();
            if (!Double.isFinite(norm)) {
                throw new RoundRefusal(RoundRefusal.Kind.INVALID, "device " + id + "'s update has an infinite norm");
            }
            if (bound > 0 && norm > bound) {
                if (!g.clipUpdates()) {
                    throw new RoundRefusal(RoundRefusal.Kind.INVALID, String.format(Locale.ROOT, "device %s's update"
                            + " has L2 norm %.6g, above the bound %.6g%s", id, norm, bound,
                            g.maxUpdateNorm() == RoundGuards.AUTO ? " that an honest device's AdamW cannot exceed" : ""));
                }
                // w = start + (w - start) * bound / norm, in place
                double f = bound / norm;
                for (Map.Entry<String, Tensor> e : up.entrySet()) {
                    Tensor u = e.getValue();
                    Tensor s0 = from.get(e.getKey());
                    u.sub_(s0).mul_(new Scalar(f)).add_(s0);
                }
            }
            return norm;
        }
    }

    /** True when no value of {@code set} is NaN or infinite. */
    static boolean finite(AdapterSet set) {
        try (NativeScope scope = new NativeScope(); NoGradGuard ng = new NoGradGuard()) {
            for (Tensor t : set.toTensorMap().values()) {
                if (!torch.isfinite(t).all().item().toBool()) {
                    return false;
                }
            }
            return true;
        }
    }
}
