package org.memsfl.grpc;

import java.util.Objects;
import org.memsfl.fleet.DeviceProfile;

/**
 * A device announcing itself to the edge server: the domain form of the proto {@code RegisterRequest}
 * ({@link RegistrationCodec} converts and validates).
 *
 * @param profile        the device's id and capacity, from which the server plans its cut
 * @param partitionIndex the data partition it trains on, 0-based (the server checks it against the fleet size)
 */
public record DeviceRegistration(DeviceProfile profile, int partitionIndex) {

    public DeviceRegistration {
        Objects.requireNonNull(profile, "profile");
        if (partitionIndex < 0) {
            throw new IllegalArgumentException("partition_index must be >= 0, got " + partitionIndex);
        }
    }

    public String deviceId() {
        return profile.id();
    }
}
