package org.memsfl.round;

/**
 * What a split server does not take on trust from its devices (issue 10: a fleet that survives hostile devices). The
 * checks themselves live in {@link SplitServer}, so the simulator and the edge server apply the same ones.
 *
 * <ul>
 * <li>{@code minDevices}: a round with fewer uploads than this (a quorum) is not aggregated; the round is rolled
 *     back to its start and reported ({@link RoundEnd#discarded()}). A driver decides whether the run goes on.</li>
 * <li>{@code maxUpdateNorm}: the L2 norm of a device's device-side update (its upload minus the adapters it started
 *     the round with) may not exceed this. {@link #AUTO} (the default) is the largest norm an honest device can reach:
 *     {@link UpdateBound#honestAdamW}, Kingma and Ba's bound on one AdamW step summed over the round's local steps;
 *     0 turns the check off. Non-finite uploads are always refused.</li>
 * <li>{@code clipUpdates}: an update above the bound is scaled down onto it (norm clipping, as in Sun et al. 2019,
 *     "Can you really backdoor federated learning?") instead of refused.</li>
 * <li>{@code maxLossRatio}: the health gate after each round. When the aggregated adapters are not finite, or their
 *     held-out loss exceeds this times the last good round's (0: finiteness only), the round is rolled back.</li>
 * <li>{@code keepRoundStart}: keep a copy of the server's state at each round start (global adapters, every
 *     device's server-side adapters and optimizer), which rollbacks and device restarts need. Forced on by a quorum
 *     above 1 or a loss ratio; costs one copy of the server-side LoRA state.</li>
 * </ul>
 */
public record RoundGuards(int minDevices, double maxUpdateNorm, boolean clipUpdates, double maxLossRatio,
                          boolean keepRoundStart) {

    /** {@code maxUpdateNorm}: the honest-AdamW bound of {@link UpdateBound#honestAdamW}. */
    public static final double AUTO = -1;

    public RoundGuards {
        if (minDevices < 1) {
            throw new IllegalArgumentException("min devices (quorum) must be >= 1, got " + minDevices);
        }
        if (!(maxUpdateNorm >= 0 || maxUpdateNorm == AUTO) || Double.isInfinite(maxUpdateNorm)) {
            throw new IllegalArgumentException("max update norm must be auto, 0 (off) or a finite number > 0, got "
                    + maxUpdateNorm);
        }
        if (!(maxLossRatio == 0 || maxLossRatio > 1) || Double.isInfinite(maxLossRatio)) {
            throw new IllegalArgumentException("max loss ratio must be 0 (finiteness only) or a finite number > 1, got "
                    + maxLossRatio);
        }
        keepRoundStart = keepRoundStart || minDevices > 1 || maxLossRatio > 0;
    }

    /** Quorum 1, the automatic update bound (refuse above it), finiteness gate only, no round-start copy. */
    public static RoundGuards defaults() {
        return new RoundGuards(1, AUTO, false, 0, false);
    }
}
