package org.memsfl.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.fleet.Fleet;

/**
 * How one child of {@link ServerMemoryBench} holds and runs the server side: memsfl's sequential server (optionally
 * one batch row at a time, {@code -mb1}, and recomputing each layer's activations in the backward, {@code -rc}; the
 * same gradients), or sfl-v1's parallel server with a barrier after forward and loss ({@code sfl-v1}) or without one
 * ({@code sfl-v1-free}).
 */
enum ServerVariant {
    MEMSFL("memsfl", true, 0, false, false),
    MEMSFL_MB1("memsfl-mb1", true, 1, false, false),
    MEMSFL_RC("memsfl-rc", true, 0, true, false),
    MEMSFL_MB1_RC("memsfl-mb1-rc", true, 1, true, false),
    SFL_V1("sfl-v1", false, 0, false, true),
    SFL_V1_FREE("sfl-v1-free", false, 0, false, false);

    final String id;
    /** memsfl's server: one frozen model, devices served one at a time, head in chunks of target tokens. */
    final boolean sequential;
    /** rows of a batch per pass through the server segment (0 = the whole batch) */
    final int microBatch;
    final boolean recompute;
    /** parallel variants: every device's graph held until all finished forward and loss */
    final boolean barrier;

    ServerVariant(String id, boolean sequential, int microBatch, boolean recompute, boolean barrier) {
        this.id = id;
        this.sequential = sequential;
        this.microBatch = microBatch;
        this.recompute = recompute;
        this.barrier = barrier;
    }

    /** The method whose server this variant measures (the cost model it is checked against). */
    String method() {
        return sequential ? "memsfl" : "sfl-v1";
    }

    /** The cost model's server and device peaks for this variant. */
    MethodMemory modeled(MemoryModel mm, Fleet fleet, Map<String, Integer> cuts) {
        return sequential ? MethodMemory.memsfl(mm, fleet, cuts, microBatch, recompute)
                : MethodMemory.sflV1(mm, fleet, cuts);
    }

    /** For the result JSON: how the server ran. */
    String execution() {
        if (sequential) {
            return "sequential, one device at a time" + (microBatch > 0 ? ", server segment one row at a time" : "")
                    + (recompute ? ", each layer's activations recomputed in the backward" : "");
        }
        return barrier ? "parallel threads, barrier after forward+loss" : "parallel threads started together, no barrier";
    }

    static List<ServerVariant> sequentialOnes() {
        return Arrays.stream(values()).filter(v -> v.sequential).toList();
    }

    static List<ServerVariant> parallelOnes() {
        return Arrays.stream(values()).filter(v -> !v.sequential).toList();
    }

    /** @throws IllegalArgumentException naming the known variants */
    static ServerVariant of(String id) {
        for (ServerVariant v : values()) {
            if (v.id.equals(id)) {
                return v;
            }
        }
        throw new IllegalArgumentException("variant must be one of "
                + String.join(", ", Arrays.stream(values()).map(v -> v.id).toList()) + ", got " + id);
    }
}
