package org.memsfl.grpc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process from /proc/self/status (Linux); 0 where unavailable. */
final class ProcessMemory {

    private ProcessMemory() {
    }

    /** Current resident set (VmRSS). */
    static long rssBytes() {
        return field("VmRSS:");
    }

    /** Peak resident set since the process started (VmHWM). */
    static long peakRssBytes() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
