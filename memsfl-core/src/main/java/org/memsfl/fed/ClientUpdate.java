package org.memsfl.fed;

import java.util.Objects;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraModules;

/**
 * What one client brings to a round's aggregation: its adapters on both sides of its cut and its sample count.
 *
 * @param clientId    unique within one aggregation
 * @param cut         the client's cut layer: the device holds layers {@code [0, cut)}, the server {@code [cut, N)}
 * @param numExamples training examples behind this update (> 0), the FedAvg weight
 * @param deviceSide  keys {@code embed} and {@code layers.<i>.*} with {@code i < cut} (the device's live adapters)
 * @param serverSide  keys {@code layers.<i>.*} with {@code i >= cut} (the server's adapters for this client; may be
 *                    empty, e.g. when the device holds the whole model)
 */
public record ClientUpdate(String clientId, int cut, long numExamples, AdapterSet deviceSide, AdapterSet serverSide) {

    public ClientUpdate {
        if (clientId == null || clientId.isBlank()) {
            throw new IllegalArgumentException("client id must be non-empty");
        }
        if (cut < 0) {
            throw new IllegalArgumentException("client " + clientId + ": cut must be >= 0, got " + cut);
        }
        if (numExamples <= 0) {
            throw new IllegalArgumentException("client " + clientId + ": numExamples must be > 0, got " + numExamples);
        }
        Objects.requireNonNull(deviceSide, "deviceSide");
        Objects.requireNonNull(serverSide, "serverSide");
        for (String k : deviceSide.asMap().keySet()) {
            if (LoraModules.layerOf(k) >= cut) {
                throw new IllegalArgumentException("client " + clientId + ": device-side adapter " + k
                        + " is at or above its cut " + cut);
            }
        }
        for (String k : serverSide.asMap().keySet()) {
            int layer = LoraModules.layerOf(k);
            if (layer < cut) {
                throw new IllegalArgumentException("client " + clientId + ": server-side adapter " + k
                        + (layer < 0 ? " belongs on the device" : " is below its cut " + cut));
            }
        }
        LoraConfig d = deviceSide.config();
        LoraConfig s = serverSide.config();
        if (d.rank() != s.rank() || d.alpha() != s.alpha()) {
            throw new IllegalArgumentException("client " + clientId + ": device side (rank " + d.rank() + ", alpha "
                    + d.alpha() + ") and server side (rank " + s.rank() + ", alpha " + s.alpha() + ") disagree");
        }
    }

    /** Both sides as one set (a view sharing tensors). */
    public AdapterSet full() {
        return AdapterSet.union(deviceSide.config(), deviceSide, serverSide);
    }

    public LoraConfig config() {
        return deviceSide.config();
    }
}
