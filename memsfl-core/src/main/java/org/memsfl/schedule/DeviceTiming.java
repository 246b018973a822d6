package org.memsfl.schedule;

/**
 * One device's per-local-step timings, in seconds (from the delay model of DESIGN.md section 6 or from measurements).
 * They define the device's job: release {@code r = forward + uplink}, processing {@code p = server}, tail
 * {@code q = downlink + backward}.
 *
 * @param forward  device segment forward
 * @param uplink   sending the cut-layer activations (and labels, mask) to the server
 * @param server   server segment forward + backward for this device's cut
 * @param downlink sending the activation gradient back
 * @param backward device segment backward and optimizer step
 */
public record DeviceTiming(double forward, double uplink, double server, double downlink, double backward) {

    public DeviceTiming {
        Job.requireTime("forward time", forward);
        Job.requireTime("uplink time", uplink);
        Job.requireTime("server time", server);
        Job.requireTime("downlink time", downlink);
        Job.requireTime("backward time", backward);
    }

    /** r: device forward + uplink, before the server can start on this device's step. */
    public double release() {
        return forward + uplink;
    }

    /** p: server time for this device's step. */
    public double processing() {
        return server;
    }

    /** q: downlink + device backward, after the server is done with this device's step. */
    public double tail() {
        return downlink + backward;
    }

    /** Device-side time per step (computing or communicating): r + q. */
    public double deviceBusy() {
        return release() + tail();
    }

    /** The step's job for a synchronous step that starts at time 0. */
    public Job job(int id) {
        return new Job(id, release(), processing(), tail());
    }
}
