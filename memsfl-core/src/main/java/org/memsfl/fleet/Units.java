package org.memsfl.fleet;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Human units in fleet files: memory ({@code 2GiB}, {@code 512MiB}, {@code 1.5GB}), compute ({@code 1.2TFLOPS}),
 * bandwidth ({@code 20Mbps} in bits, {@code 2.5MB/s} in bytes) and latency ({@code 30ms}). A bare number is taken in
 * the base unit (bytes, FLOP/s, bytes per second, seconds). Arithmetic is decimal ({@link BigDecimal}) so that
 * {@code 30ms} is exactly the double nearest 0.03 and a value written by {@link #formatRate} reads back identical.
 * Parse failures throw {@link IllegalArgumentException} with a message that the fleet reader prefixes with the file,
 * device and field.
 */
public final class Units {

    private static final Pattern QUANTITY = Pattern.compile(
            "\\s*([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?)\\s*([A-Za-z/µ]*)\\s*");

    /** Memory units; matched ignoring case, since B never means bits for a memory size. */
    public static final Map<String, BigDecimal> MEMORY = table(
            "TiB", pow(1024, 4), "GiB", pow(1024, 3), "MiB", pow(1024, 2), "KiB", pow(1024, 1),
            "TB", pow(1000, 4), "GB", pow(1000, 3), "MB", pow(1000, 2), "KB", pow(1000, 1), "B", BigDecimal.ONE);
    /** Compute units (FLOP per second), matched ignoring case. */
    public static final Map<String, BigDecimal> COMPUTE = table(
            "PFLOPS", pow(1000, 5), "TFLOPS", pow(1000, 4), "GFLOPS", pow(1000, 3), "MFLOPS", pow(1000, 2),
            "KFLOPS", pow(1000, 1), "FLOPS", BigDecimal.ONE);
    /** Bandwidth units in bytes per second; case matters (b is a bit, B a byte). */
    public static final Map<String, BigDecimal> BANDWIDTH = table(
            "Gbps", bits(pow(1000, 3)), "Mbps", bits(pow(1000, 2)), "kbps", bits(pow(1000, 1)),
            "Kbps", bits(pow(1000, 1)), "bps", bits(BigDecimal.ONE),
            "Gb/s", bits(pow(1000, 3)), "Mb/s", bits(pow(1000, 2)), "kb/s", bits(pow(1000, 1)), "b/s", bits(BigDecimal.ONE),
            "GiB/s", pow(1024, 3), "MiB/s", pow(1024, 2), "KiB/s", pow(1024, 1),
            "GB/s", pow(1000, 3), "MB/s", pow(1000, 2), "KB/s", pow(1000, 1), "kB/s", pow(1000, 1), "B/s", BigDecimal.ONE);
    /** Time units in seconds, matched ignoring case. */
    public static final Map<String, BigDecimal> TIME = table(
            "s", BigDecimal.ONE, "ms", new BigDecimal("0.001"), "us", new BigDecimal("0.000001"),
            "µs", new BigDecimal("0.000001"));

    private static final String MEMORY_EXPECTED = "expected a number with B, KiB, MiB, GiB, TiB, KB, MB, GB or TB";
    private static final String COMPUTE_EXPECTED = "expected a number with FLOPS, KFLOPS, MFLOPS, GFLOPS, TFLOPS or PFLOPS";
    private static final String BANDWIDTH_EXPECTED =
            "expected a number with bps, kbps, Mbps, Gbps (bits) or B/s, KB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s (bytes)";
    private static final String TIME_EXPECTED = "expected a number with s, ms or us";

    private Units() {
    }

    /** Bytes; fractions of a byte are dropped ({@code 0.6GiB} is 644245094 bytes). */
    public static long bytes(String text) {
        BigDecimal v = parse(text, MEMORY, false, MEMORY_EXPECTED);
        try {
            return v.setScale(0, RoundingMode.FLOOR).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large for a byte count");
        }
    }

    /** FLOP per second. */
    public static double flops(String text) {
        return parse(text, COMPUTE, false, COMPUTE_EXPECTED).doubleValue();
    }

    /** Bytes per second. */
    public static double bandwidth(String text) {
        return parse(text, BANDWIDTH, true, BANDWIDTH_EXPECTED).doubleValue();
    }

    /** Seconds. */
    public static double seconds(String text) {
        return parse(text, TIME, false, TIME_EXPECTED).doubleValue();
    }

    private static BigDecimal parse(String text, Map<String, BigDecimal> units, boolean caseSensitive, String expected) {
        Matcher m = text == null ? null : QUANTITY.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("cannot parse '" + text + "'; " + expected);
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String unit = m.group(2);
        if (unit.isEmpty()) {
            return number;
        }
        for (Map.Entry<String, BigDecimal> e : units.entrySet()) {
            if (caseSensitive ? e.getKey().equals(unit) : e.getKey().equalsIgnoreCase(unit)) {
                return number.multiply(e.getValue());
            }
        }
        throw new IllegalArgumentException("cannot parse '" + text + "'; " + expected);
    }

    /**
     * The shortest spelling among {@code units} (largest unit first) that reads back as exactly {@code value}, with
     * at most six significant digits; the bare number when none does. Used to write fleet files people can read.
     */
    public static String formatRate(double value, Map<String, BigDecimal> units) {
        BigDecimal exact = BigDecimal.valueOf(value);
        for (Map.Entry<String, BigDecimal> e : units.entrySet()) {
            BigDecimal scaled = exact.divide(e.getValue(), MathContext.DECIMAL128).stripTrailingZeros();
            if (scaled.abs().compareTo(BigDecimal.ONE) >= 0 && scaled.precision() <= 6
                    && scaled.multiply(e.getValue()).doubleValue() == value) {
                return scaled.toPlainString() + e.getKey();
            }
        }
        return Double.toString(value);
    }

    /** As {@link #formatRate} for a byte count; falls back to {@code <n>B}. */
    public static String formatBytes(long bytes) {
        String s = formatRate(bytes, MEMORY);
        return s.endsWith("B") ? s : bytes + "B";
    }

    /** For messages: {@code 1.41 GiB}, {@code 12.50 MiB}, {@code 3.00 KiB} or {@code 17 B}. */
    public static String human(double bytes) {
        double a = Math.abs(bytes);
        if (a >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (1L << 30));
        }
        if (a >= 1L << 20) {
            return String.format(Locale.ROOT, "%.2f MiB", bytes / (1L << 20));
        }
        if (a >= 1L << 10) {
            return String.format(Locale.ROOT, "%.2f KiB", bytes / (1L << 10));
        }
        return String.format(Locale.ROOT, "%.0f B", bytes);
    }

    private static BigDecimal pow(int base, int n) {
        return BigDecimal.valueOf(base).pow(n);
    }

    private static BigDecimal bits(BigDecimal perSecond) {
        return perSecond.divide(BigDecimal.valueOf(8));
    }

    private static Map<String, BigDecimal> table(Object... pairs) {
        Map<String, BigDecimal> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], (BigDecimal) pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
