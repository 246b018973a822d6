package org.memsfl.fed;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.NoGradGuard;
import org.memsfl.engine.NativeScope;
import org.memsfl.lora.LoraWeights;

/**
 * SplitLoRA-style aggregation ({@code client-only}): only device-side adapters are averaged, each key over the
 * clients that hold it on their device side, weighted by {@code numExamples}; every client's server-side adapters
 * come back unchanged (bit-identical float32 copies).
 *
 * <p>The {@code global} set is for evaluation only and is never handed to a client: keys held on any device side
 * take the device-side average; keys held only on server sides take the {@code numExamples}-weighted average of the
 * server sides holding them.
 */
public final class ClientOnlyAvg implements AggregationStrategy {

    public static final String NAME = "client-only";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AggregationResult aggregate(List<ClientUpdate> updates) {
        AggregationInputs in = AggregationInputs.of(updates);
        try (NoGradGuard ng = new NoGradGuard(); NativeScope scope = new NativeScope()) {
            Map<String, LoraWeights> device = new TreeMap<>();
            in.holders(true, false).forEach((k, hs) -> device.put(k, AggregationInputs.meanOf(hs)));
            Map<String, LoraWeights> global = new TreeMap<>(device);
            in.holders(false, true).forEach((k, hs) -> {
                if (!global.containsKey(k)) {
                    global.put(k, AggregationInputs.meanOf(hs));
                }
            });
            return in.assemble(scope, NAME, device, null, global);
        }
    }

    @Override
    public String toString() {
        return NAME;
    }
}
