package org.memsfl.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Memory figures of this process from Linux's {@code /proc/self/status}: {@code VmRSS} (resident now) and
 * {@code VmHWM} (the resident high-water mark). Values there are in kB (KiB); they are returned in bytes.
 */
public final class ProcessMemory {

    static final Path STATUS = Path.of("/proc/self/status");
    static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ProcessMemory() {
    }

    /**
     * Every {@code Name: <number> kB} line of a status text, in bytes, in file order. Lines without a kB unit
     * ({@code Threads: 5}, {@code State: R (running)}) are skipped.
     */
    public static Map<String, Long> parseKb(String statusText) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : statusText.split("\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String[] parts = line.substring(colon + 1).trim().split("\\s+");
            if (parts.length != 2 || !parts[1].equalsIgnoreCase("kB")) {
                continue;
            }
            try {
                out.put(line.substring(0, colon).trim(), Long.parseLong(parts[0]) * 1024L);
            } catch (NumberFormatException e) {
                // not a number: skip the line
            }
        }
        return out;
    }

    /** One {@code <field>: <n> kB} value of a status text in bytes, or -1 when the field is absent or malformed. */
    public static long fieldBytes(String statusText, String field) {
        String prefix = field + ":";
        int from = 0;
        while (from <= statusText.length()) {
            int end = statusText.indexOf('\n', from);
            if (end < 0) {
                end = statusText.length();
            }
            String line = statusText.substring(from, end);
            if (line.startsWith(prefix)) {
                String[] parts = line.substring(prefix.length()).trim().split("\\s+");
                if (parts.length != 2 || !parts[1].equalsIgnoreCase("kB")) {
                    return -1;
                }
                try {
                    return Long.parseLong(parts[0]) * 1024L;
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
            from = end + 1;
        }
        return -1;
    }

    /** This process's status text, or "" where there is no /proc (not Linux). */
    public static String read() {
        try {
            return Files.readString(STATUS, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }

    /** Resident set size now, bytes; -1 where unavailable. */
    public static long rssBytes() {
        return fieldBytes(read(), "VmRSS");
    }

    /** Resident high-water mark, bytes; -1 where unavailable. */
    public static long peakRssBytes() {
        return fieldBytes(read(), "VmHWM");
    }

    /**
     * Resets the high-water mark to the current RSS (writing 5 to {@code /proc/self/clear_refs}, Linux 4.0+), so a
     * later {@link #peakRssBytes()} is the peak since this call. Returns whether the kernel accepted it.
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5", StandardCharsets.US_ASCII);
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
