package org.memsfl.sim.method;

import java.util.List;

/**
 * What one round of training reports.
 *
 * @param trainLoss   mean loss over the round's local steps, weighted by target tokens
 * @param steps       local steps taken (all devices)
 * @param bytesUp     device-to-server bytes (activations, targets, adapters)
 * @param bytesDown   server-to-device bytes (gradients, adapters)
 * @param participants devices that trained this round
 * @param serveOrder  split methods: the steps in the order the server served them, {@code "<device>:<local step>"}
 *                    (empty for the methods without a split server)
 */
public record RoundOutcome(double trainLoss, int steps, long bytesUp, long bytesDown, List<String> participants,
                           List<String> serveOrder) {

    /** A round without a split server. */
    public RoundOutcome(double trainLoss, int steps, long bytesUp, long bytesDown, List<String> participants) {
        this(trainLoss, steps, bytesUp, bytesDown, participants, List.of());
    }
}
