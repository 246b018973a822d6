package org.memsfl.round;

import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.lora.AdapterSet;

/**
 * The state of a split server after a completed round: enough to continue with nothing lost (every random draw after
 * initialisation comes from generators reseeded per round from the seed, so the round number restores them).
 *
 * @param completedRound the round whose end this follows
 * @param devices        every registered device, in registration order
 * @param global         the global adapters after the round
 */
public record ServerCheckpoint(int completedRound, List<Device> devices, AdapterSet global) {

    /**
     * One device's server-side state.
     *
     * @param serverSteps the server-side optimizer's step count
     * @param serverSide  server-side adapters, layers [cut, N)
     * @param optimizer   AdamW's moments by parameter name
     * @param next        the device-side adapters it starts the next round with
     */
    public record Device(String id, int cut, List<Integer> missedRounds, boolean missedLast, long serverSteps,
                         AdapterSet serverSide, Map<String, Tensor> optimizer, AdapterSet next) {

        public Device {
            missedRounds = List.copyOf(missedRounds);
        }
    }

    public ServerCheckpoint {
        devices = List.copyOf(devices);
    }
}
