package org.memsfl.fleet;

/** Range checks shared by the profile records; NaN and infinities fail every check. */
final class Checks {

    private Checks() {
    }

    static void positive(String field, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(field + " must be a finite number > 0, got " + v);
        }
    }

    static void nonNegative(String field, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(field + " must be a finite number >= 0, got " + v);
        }
    }

    /** A value the delay model divides by or adds: within [min, max], so every predicted time stays finite. */
    static void within(String field, double v, double min, double max, String unit) {
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(field + " must be in [" + min + ", " + max + "] " + unit + ", got " + v
                    + (v > 0 && v < min ? ": the delay model cannot represent it (a step would take forever)" : ""));
        }
    }
}
