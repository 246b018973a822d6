package org.memsfl.cost;

/**
 * Seconds of one local step of one device, in the order they happen (DESIGN.md section 6). As a job of the
 * one-machine problem 1|r_j,q_j|Cmax: release r = forward + uplink, processing p = server, tail q = downlink +
 * backward. Mirrors the scheduler's {@code DeviceTiming} field for field without depending on it.
 *
 * @param forward  device forward through embedding and layers [0, cut)
 * @param uplink   cut activation, labels and mask to the server, latency included
 * @param server   server forward and backward through layers [cut, N), norm and head
 * @param downlink gradient of the cut activation back to the device, latency included
 * @param backward device backward through its layers
 */
public record StepTiming(double forward, double uplink, double server, double downlink, double backward) {

    public StepTiming {
        check("forward", forward);
        check("uplink", uplink);
        check("server", server);
        check("downlink", downlink);
        check("backward", backward);
    }

    /** r_u: when the server may start this job. */
    public double release() {
        return forward + uplink;
    }

    /** q_u: what remains after the server is done. */
    public double tail() {
        return downlink + backward;
    }

    /** The step's length with a server that is free the moment the activation arrives. */
    public double total() {
        return forward + uplink + server + downlink + backward;
    }

    private static void check(String field, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(field + " seconds must be a finite number >= 0, got " + v);
        }
    }
}
