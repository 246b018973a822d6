package org.memsfl.round;

/**
 * What the server of a split federated round holds, the one thing that tells memsfl from its split baselines. The
 * round itself (registration, reseeding, serving steps, aggregation, dropped devices) is the same code for all three.
 * <ul>
 * <li>{@code memsfl} (Chen et al. 2025): ONE frozen model; per-device server-side adapters and optimizer; devices
 * served one at a time in the scheduler's order; adapters aggregated per layer over both sides. Only this design may
 * recompute the server layers' activations (its server is idle most of the round).</li>
 * <li>{@code sfl-v1} (SplitFed-V1, Thapa et al. 2022, heterogeneous as in FedBERT): a separate copy of layers
 * [cut_u, N) per device; the same per-layer aggregation, so the same training math as memsfl.</li>
 * <li>{@code splitlora} (Lin et al. 2024): every device cut at the weakest device's cut; ONE server-side adapter
 * set and optimizer updated by the devices in turn; only device-side adapters are aggregated.</li>
 * </ul>
 */
public enum ServerDesign {
    MEMSFL, SFL_V1, SPLITLORA;

    /** True when one server-side state serves every device. */
    public boolean sharedServerState() {
        return this == SPLITLORA;
    }

    /** True when each device's server side runs on its own copy of the server layers. */
    public boolean modelCopyPerDevice() {
        return this == SFL_V1;
    }

    /**
     * True when one server serves one device's step at a time, in the order its dispatcher picks (memsfl: the
     * configured scheduler; splitlora: first come, first served); sfl-v1's per-device copies serve in parallel, so
     * its steps have no serving order to choose.
     */
    public boolean sequential() {
        return this != SFL_V1;
    }

    /** memsfl's server alone may recompute its layers' activations and runs its head in chunks. */
    public boolean memsflServer() {
        return this == MEMSFL;
    }

    /** For messages: the design as the paper names it ({@code sfl-v1}); the method names live in the method registry. */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
