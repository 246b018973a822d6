package org.memsfl.fed;

import org.memsfl.lora.AdapterSet;

/**
 * One client's new adapters after aggregation, split as its update was: {@code deviceSide} has exactly the keys of
 * the update's device side, {@code serverSide} exactly those of its server side.
 */
public record ClientAdapters(AdapterSet deviceSide, AdapterSet serverSide) {

    /** Both sides as one set (a view sharing tensors). */
    public AdapterSet full() {
        return AdapterSet.union(deviceSide.config(), deviceSide, serverSide);
    }
}
