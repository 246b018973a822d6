package org.memsfl.sim.method;

import org.memsfl.lora.AdapterSet;

/**
 * A method's rounds over the fleet, started by its {@link MethodSpec} (Flower's server round, counted from 1). The simulation and
 * the deployment drive the same method objects; nothing here knows about a transport.
 */
public interface FederatedMethod extends AutoCloseable {

    /** Trains one round: local steps on every participating device, then aggregation. */
    RoundOutcome round(int round);

    /** The adapters the method would deploy now (evaluated on held-out data after each round). */
    AdapterSet globalAdapters();

    @Override
    void close();
}
