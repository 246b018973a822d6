package org.memsfl.schedule;

/**
 * One interval of server work, for Gantt charts: the server ran {@code device}'s local step {@code step} (0-based),
 * which had arrived at {@code release}, from {@code start} to {@code end}, seconds since the round began.
 */
public record ServerSlot(int device, int step, double release, double start, double end) {

    public ServerSlot {
        if (device < 0) {
            throw new IllegalArgumentException("device must be >= 0, got " + device);
        }
        if (step < 0) {
            throw new IllegalArgumentException("local step must be >= 0, got " + step);
        }
        Job.requireTime("slot release", release);
        if (!(start >= release) || Double.isInfinite(start)) {
            throw new IllegalArgumentException("slot start must be finite and >= its release " + release + ", got "
                    + start);
        }
        if (!(end >= start) || Double.isInfinite(end)) {
            throw new IllegalArgumentException("slot end must be finite and >= start " + start + ", got " + end);
        }
    }

    public double duration() {
        return end - start;
    }
}
