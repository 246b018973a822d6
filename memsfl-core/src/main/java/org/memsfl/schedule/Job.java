package org.memsfl.schedule;

/**
 * One job of the one-machine problem {@code 1|r_j,q_j|Cmax}: it may start on the server no earlier than
 * {@code release}, occupies the server for {@code processing}, and after it completes a {@code tail} (delivery time)
 * elapses off the machine before the job counts as finished. In memsfl a job is one local step of one device: release
 * = device forward + uplink, processing = server segment forward + backward, tail = downlink + device backward.
 *
 * @param id         the caller's identifier (in memsfl the device index); used to break ties deterministically
 * @param release    earliest start on the server, seconds, finite and {@code >= 0}
 * @param processing time on the server, seconds, finite and {@code >= 0}
 * @param tail       time after server completion until the job is finished, seconds, finite and {@code >= 0}
 */
public record Job(int id, double release, double processing, double tail) {

    public Job {
        if (id < 0) {
            throw new IllegalArgumentException("job id must be >= 0, got " + id);
        }
        requireTime("release time", release);
        requireTime("processing time", processing);
        requireTime("tail", tail);
    }

    // Negative or non-finite times would make makespans meaningless (and NaN would silently break every comparison).
    static void requireTime(String what, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(what + " must be finite and >= 0, got " + value);
        }
    }
}
