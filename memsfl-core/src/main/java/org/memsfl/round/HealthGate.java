package org.memsfl.round;

import java.util.List;
import java.util.Locale;
import org.memsfl.data.Batch;

/** The health gate's verdict on one round's held-out loss ({@link RoundGuards#maxLossRatio()}). */
final class HealthGate {

    private HealthGate() {
    }

    /**
     * After aggregation: rolls the round back when the aggregate is not finite or its held-out loss fails
     * {@link #verdict}, and says why (null: kept). {@code loss[0]} gets the held-out loss it computed.
     *
     * @throws IllegalStateException it must roll back and no round-start copy was kept
     */
    static String check(SplitServer srv, List<Batch> heldOut, double lastGoodLoss, double[] loss) {
        String bad = UploadCheck.finite(srv.global) ? null : "the aggregated adapters hold NaN or infinite values";
        if (bad == null && !heldOut.isEmpty()) {
            loss[0] = srv.evaluate(heldOut);
            bad = verdict(loss[0], lastGoodLoss, srv.guards.maxLossRatio());
        }
        if (bad == null) {
            return null;
        }
        if (srv.roundStart == null) {
            throw new IllegalStateException("round " + srv.round + ": " + bad + ", and there is no copy of the round's"
                    + " start to roll back to");
        }
        srv.rollBack();
        return "rolled back: " + bad;
    }

    /** Why the round must be rolled back, or null when its loss is acceptable. */
    static String verdict(double loss, double lastGood, double maxRatio) {
        if (!Double.isFinite(loss)) {
            return "the held-out loss of the aggregated adapters is " + loss;
        }
        if (maxRatio > 0 && Double.isFinite(lastGood) && loss > maxRatio * lastGood) {
            return String.format(Locale.ROOT, "the held-out loss %.4f is above %.3g times the last good round's %.4f",
                    loss, maxRatio, lastGood);
        }
        return null;
    }
}
