package org.memsfl.sim.report;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.memsfl.util.Json;

/** Number formatting shared by the HTML report and the text table (locale-independent). */
final class Fmt {

    static final double MIB = 1024.0 * 1024.0;
    static final String NONE = "-";
    static final String NA = "n/a";

    private Fmt() {
    }

    static double toMib(long bytes) {
        return bytes / MIB;
    }

    /** Bytes as MiB without the unit: {@code 1234.5}, small non-zero values keep three decimals. */
    static String mib(long bytes) {
        double v = toMib(bytes);
        if (v != 0 && Math.abs(v) < 0.1) {
            return String.format(Locale.ROOT, "%.3f", v);
        }
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String mib(Long bytes) {
        return bytes == null ? NONE : mib(bytes.longValue());
    }

    /** Bytes with a binary unit: {@code 512 B}, {@code 1.5 KiB}, {@code 12.3 MiB}, {@code 2.00 GiB}. */
    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, units[u]);
    }

    /** Seconds without the unit, precision by magnitude: {@code 123.4}, {@code 12.35}, {@code 0.123}. */
    static String seconds(double s) {
        if (Double.isNaN(s)) {
            return NA;
        }
        if (Double.isInfinite(s)) {
            return "inf";
        }
        double a = Math.abs(s);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.1f", s);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", s);
        }
        if (a >= 0.001 || s == 0) {
            return String.format(Locale.ROOT, "%.3f", s);
        }
        return String.format(Locale.ROOT, "%.2e", s);
    }

    /** A task metric (BLEU, ROUGE-L, CIDEr...) to 4 decimals; NaN is "n/a". */
    static String score(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : NA;
    }

    static String loss(double v) {
        if (Double.isNaN(v)) {
            return NA;
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, "%.4f", v);
    }

    /** A general number: integers as is, others with up to 6 significant digits. */
    static String number(Number n) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d)) {
                return NA;
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? "inf" : "-inf";
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString((long) d);
            }
            String s = String.format(Locale.ROOT, "%.6g", d);
            if (s.contains("e")) {
                return s;
            }
            s = s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
            return s;
        }
        return String.valueOf(n);
    }

    static String list(List<String> items) {
        return items.isEmpty() ? NONE : String.join(", ", items);
    }

    /** A settings value: scalars as text, collections, maps and records as compact JSON. */
    static String value(Object v) {
        if (v == null) {
            return NONE;
        }
        if (v instanceof Number n) {
            return number(n);
        }
        if (v instanceof CharSequence || v instanceof Boolean || v instanceof Enum<?> || v instanceof Character) {
            return v.toString();
        }
        if (v instanceof Collection<?> || v instanceof Map<?, ?> || v.getClass().isRecord() || v.getClass().isArray()) {
            try {
                return Json.compact(v);
            } catch (RuntimeException e) {
                return String.valueOf(v);
            }
        }
        return v.toString();
    }
}
