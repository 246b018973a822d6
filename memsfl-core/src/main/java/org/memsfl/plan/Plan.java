package org.memsfl.plan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cut layers for a fleet (DESIGN.md section 5), one {@link DevicePlan} per device in fleet order.
 *
 * @param fleet        the fleet's name
 * @param nLayers      N
 * @param batch        B the memory was computed for
 * @param seqLen       T the memory was computed for
 * @param safetyMargin fraction added to every need before comparing with the budget
 * @param devices      one entry per device of the fleet, fitting or not
 * @param server       what the edge server holds at these cuts, against its budget
 */
public record Plan(String fleet, int nLayers, int batch, int seqLen, double safetyMargin, List<DevicePlan> devices,
                   ServerPlan server) {

    public Plan {
        if (fleet == null || devices == null || server == null) {
            throw new IllegalArgumentException("plan needs a fleet name, its devices and the server's plan");
        }
        devices = List.copyOf(devices);
    }

    /** Device id to cut, for the devices that fit, in fleet order. */
    public Map<String, Integer> cuts() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (DevicePlan d : devices) {
            if (d.fits()) {
                m.put(d.deviceId(), d.cut());
            }
        }
        return m;
    }

    public Optional<DevicePlan> device(String id) {
        return devices.stream().filter(d -> d.deviceId().equals(id)).findFirst();
    }

    public List<DevicePlan> notFitting() {
        return devices.stream().filter(d -> !d.fits()).toList();
    }

    /** For {@code Json.write}: snake-case keys, byte counts as integers. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fleet", fleet);
        m.put("n_layers", nLayers);
        m.put("batch", batch);
        m.put("seq_len", seqLen);
        m.put("safety_margin", safetyMargin);
        m.put("devices", devices.stream().map(DevicePlan::toMap).toList());
        m.put("server", server.toMap());
        return m;
    }
}
