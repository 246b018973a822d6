package org.memsfl.round;

import java.util.List;
import java.util.Locale;
import org.memsfl.data.Batch;
import org.memsfl.lora.AdapterSet;
import org.memsfl.train.Evaluator;

/** The health gate's verdict on one round's held-out loss ({@link RoundGuards#maxLossRatio()}). */
final class HealthGate {

    private HealthGate() {
    }

    /**
     * After aggregation: rolls the round back when the aggregate is not finite or its held-out loss fails
     * {@link #verdict} against {@code lastGoodLoss} (NaN, as before round 1: against the round's start, see
     * {@link #startLoss}), and says why (null: kept). {@code loss[0]} gets the held-out loss it computed.
     *
     * @throws IllegalStateException it must roll back and no round-start copy was kept
     */
    static String check(SplitServer srv, List<Batch> heldOut, double lastGoodLoss, double[] loss) {
        String bad = UploadCheck.finite(srv.global) ? null : "the aggregated adapters hold NaN or infinite values";
        if (bad == null && !heldOut.isEmpty()) {
            double reference = Double.isFinite(lastGoodLoss) ? lastGoodLoss : startLoss(srv, heldOut);
            loss[0] = srv.evaluate(heldOut);
            bad = verdict(loss[0], reference, srv.guards.maxLossRatio());
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

    /**
     * The reference when no round was kept yet (round 1, or a resumed run that never evaluated): the held-out loss of
     * the adapters this round started from, so an exploded first round is rolled back like any other. NaN when there
     * is no round-start copy or the ratio test is off.
     */
    private static double startLoss(SplitServer srv, List<Batch> heldOut) {
        if (srv.roundStart == null || srv.guards.maxLossRatio() <= 0) {
            return Double.NaN;
        }
        try (AdapterSet start = srv.roundStart.global()) {
            return Evaluator.evaluate(srv.model, start, heldOut).loss();
        }
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
