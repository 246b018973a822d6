package org.memsfl.sim.method;

import java.util.Map;
import org.memsfl.cost.MemoryModel;
import org.memsfl.fleet.Fleet;
import org.memsfl.quant.WeightStorage;

/**
 * What a method's cost models read.
 *
 * @param memory       the memory model at the shape being costed (batch and sequence length included)
 * @param fleet        the devices and the server
 * @param cuts         the planner's cut of every device that fits one (device id to cut layer), in fleet order
 * @param scheduler    memsfl's server order policy ({@code --scheduler})
 * @param safetyMargin the planner's memory margin (fedlora drops a device with less)
 * @param deviceWeights how the split methods' devices store their frozen layers ({@code --device-weights}); the cuts
 *                     must be the planner's for this storage
 */
public record CostInputs(MemoryModel memory, Fleet fleet, Map<String, Integer> cuts, String scheduler,
                         double safetyMargin, WeightStorage deviceWeights) {

    public CostInputs {
        if (memory == null || fleet == null || cuts == null || scheduler == null || deviceWeights == null) {
            throw new IllegalArgumentException("cost inputs need a memory model, a fleet, cuts, a scheduler and the"
                    + " devices' weight storage");
        }
    }
}
