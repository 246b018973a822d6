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
}
