package org.memsfl.fleet;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A named set of devices with distinct ids and the edge server they train with (DESIGN.md sections 1 and 6).
 *
 * @param name    a label for reports, e.g. {@code paper-5}
 * @param devices at least one device; ids are unique
 * @param server  the edge server
 */
public record Fleet(String name, List<DeviceProfile> devices, ServerProfile server) {

    public Fleet {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("fleet name must be a non-empty label");
        }
        if (devices == null || devices.isEmpty()) {
            throw new IllegalArgumentException("fleet " + name + " devices must list at least one device");
        }
        if (server == null) {
            throw new IllegalArgumentException("fleet " + name + " server must be set");
        }
        devices = List.copyOf(devices);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < devices.size(); i++) {
            Integer first = seen.putIfAbsent(devices.get(i).id(), i);
            if (first != null) {
                throw new IllegalArgumentException("fleet " + name + " device ids must be unique, '" + devices.get(i).id()
                        + "' is used by devices " + (first + 1) + " and " + (i + 1));
            }
        }
    }

    public int size() {
        return devices.size();
    }

    public Optional<DeviceProfile> device(String id) {
        return devices.stream().filter(d -> d.id().equals(id)).findFirst();
    }
}
