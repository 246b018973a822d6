package org.memsfl.sim.method;

import org.memsfl.lora.AdapterSet;

/**
 * A way of fine-tuning over the fleet, round by round (Flower's server round, counted from 1). The simulation and
 * the deployment drive the same method objects; nothing here knows about a transport.
 */
public interface FederatedMethod extends AutoCloseable {

    /** Method id: memsfl, sfl-v1, splitlora, fedlora or centralized. */
    String name();

    /** Trains one round: local steps on every participating device, then aggregation. */
    RoundOutcome round(int round);

    /** The adapters the method would deploy now (evaluated on held-out data after each round). */
    AdapterSet globalAdapters();

    @Override
    void close();
}
