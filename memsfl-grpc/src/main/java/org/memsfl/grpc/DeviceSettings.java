package org.memsfl.grpc;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.memsfl.fleet.DeviceProfile;

/**
 * What a device process is told on its command line; everything else comes from the server's assignment.
 *
 * @param profile         the device's id and capacity (memory budget, compute, links), sent at registration
 * @param data            dataset spec resolved on the device (raw data never leaves it)
 * @param partitionIndex  which partition of the data this device trains on, 0-based
 * @param outDir          where the device writes metrics.jsonl, summary.json and its final adapters (null: nowhere)
 * @param callTimeout     deadline of Register and PutAdapters
 * @param pollTimeout     deadline of one GetAdapters wait; the device asks again until {@code joinTimeout}
 * @param joinTimeout     how long the device waits in total for a round to open
 * @param template        the device's {@code --template}, or null to follow the server's ({@link TemplateSync})
 */
public record DeviceSettings(DeviceProfile profile, String data, int partitionIndex, Path outDir, Duration callTimeout,
                             Duration pollTimeout, Duration joinTimeout, String template) {

    /** Settings that follow the server's {@code --template}. */
    public DeviceSettings(DeviceProfile profile, String data, int partitionIndex, Path outDir, Duration callTimeout,
                          Duration pollTimeout, Duration joinTimeout) {
        this(profile, data, partitionIndex, outDir, callTimeout, pollTimeout, joinTimeout, null);
    }

    public DeviceSettings {
        Objects.requireNonNull(profile, "profile");
        if (data == null || data.isBlank()) {
            throw new IllegalArgumentException("data must be set (dolly, e2e, shakespeare, gsm8k or a file)");
        }
        if (partitionIndex < 0) {
            throw new IllegalArgumentException("partition index must be >= 0, got " + partitionIndex);
        }
        if (template != null) {
            template = new org.memsfl.chat.TemplateChoice(template).value();
        }
        for (Duration d : new Duration[] {callTimeout, pollTimeout, joinTimeout}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive, got " + d);
            }
        }
    }

    /** Call deadline 2 min, polls of 30 s, joins of up to 24 h. */
    public static DeviceSettings of(DeviceProfile profile, String data, int partitionIndex, Path outDir) {
        return new DeviceSettings(profile, data, partitionIndex, outDir, Duration.ofMinutes(2), Duration.ofSeconds(30),
                Duration.ofHours(24));
    }

    public String deviceId() {
        return profile.id();
    }
}
