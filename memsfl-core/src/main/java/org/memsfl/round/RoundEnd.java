package org.memsfl.round;

import java.util.List;
import java.util.Map;
import org.memsfl.lora.AdapterSet;

/**
 * What a round's end decided.
 *
 * @param round        the round that ended
 * @param participants devices whose uploads were aggregated, in registration order
 * @param leftOut      devices without an upload: they restart next round from the aggregate, on both sides
 * @param next         the device-side adapters each device starts the next round with: a participant's own upload
 *                     (its tensors overwritten in place by the aggregate), a left-out device's slice of the global
 *                     adapters (a view: the server owns it), or after a discarded round the server's copy of what it
 *                     started with; valid until the next round ends
 * @param trainLoss    mean nats per target token over the round's served steps (NaN when none was served)
 * @param serveOrder   the steps in the order the server served them, {@code "<device>:<local step>"}
 * @param evalLoss     the health gate's held-out loss of the adapters kept (NaN when it had no held-out batches)
 * @param discarded    why the round was not kept (no quorum, or rolled back by the health gate): every device's
 *                     {@code next} is then what it started the round with; null when the round was aggregated
 */
public record RoundEnd(int round, List<String> participants, List<String> leftOut, Map<String, AdapterSet> next,
                       double trainLoss, List<String> serveOrder, double evalLoss, String discarded) {

    public RoundEnd {
        participants = List.copyOf(participants);
        leftOut = List.copyOf(leftOut);
        next = Map.copyOf(next);
        serveOrder = List.copyOf(serveOrder);
    }
}
