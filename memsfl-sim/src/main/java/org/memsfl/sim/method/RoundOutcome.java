package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.schedule.RoundResult;

/**
 * What one round of training reports.
 *
 * @param trainLoss     mean loss over the round's local steps, weighted by target tokens
 * @param steps         local steps taken (all devices)
 * @param bytesUp       device-to-server bytes (activations, targets, adapters)
 * @param bytesDown     server-to-device bytes (gradients, adapters)
 * @param participants  devices that trained this round
 * @param serveOrder    split methods: the steps in the order the server served them, {@code "<device>:<local step>"}
 *                      (empty for the methods without a split server)
 * @param schedule      a sequential split server (memsfl, splitlora): the simulated round whose order
 *                      {@code serveOrder} is, from the one dispatcher ({@code RoundSimulator.serve}); null otherwise
 * @param simRoundTimeS with {@code schedule}: its round time plus the adapter exchange, seconds; NaN otherwise (the
 *                      method's round time then comes from its cost model alone)
 */
public record RoundOutcome(double trainLoss, int steps, long bytesUp, long bytesDown, List<String> participants,
                           List<String> serveOrder, RoundResult schedule, double simRoundTimeS) {

    /** A round without a split server. */
    public RoundOutcome(double trainLoss, int steps, long bytesUp, long bytesDown, List<String> participants) {
        this(trainLoss, steps, bytesUp, bytesDown, participants, List.of(), null, Double.NaN);
    }
}
