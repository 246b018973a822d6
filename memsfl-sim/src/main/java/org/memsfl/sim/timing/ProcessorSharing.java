package org.memsfl.sim.timing;

import java.util.List;
import org.memsfl.schedule.DeviceTiming;

/**
 * A server that works on every waiting job at once, sharing its compute equally (processor sharing): the SFL-V1
 * server with one submodel per device, run in parallel. Event-driven over a whole round: device u repeats, I
 * times, forward + uplink (r), server work p at rate 1/|active|, downlink + backward (q).
 */
public final class ProcessorSharing {

    private ProcessorSharing() {
    }

    /** Time at which the last device finishes its I-th local step. */
    public static double roundTime(List<DeviceTiming> fleet, int localSteps) {
        int n = fleet.size();
        double[] localEnd = new double[n];   // end of the current forward+uplink, or tail
        double[] remaining = new double[n];  // server work left while in SERVER phase
        int[] phase = new int[n];            // 0 local (before server), 1 server, 2 tail, 3 done
        int[] done = new int[n];
        for (int u = 0; u < n; u++) {
            localEnd[u] = fleet.get(u).release();
        }
        double t = 0;
        int finished = 0;
        while (finished < n) {
            int active = 0;
            for (int u = 0; u < n; u++) {
                if (phase[u] == 1) {
                    active++;
                }
            }
            double dt = Double.POSITIVE_INFINITY;
            for (int u = 0; u < n; u++) {
                if (phase[u] == 0 || phase[u] == 2) {
                    dt = Math.min(dt, localEnd[u] - t);
                } else if (phase[u] == 1) {
                    dt = Math.min(dt, remaining[u] * active);
                }
            }
            dt = Math.max(0, dt);
            t += dt;
            for (int u = 0; u < n; u++) {
                if (phase[u] == 1) {
                    remaining[u] -= dt / active;
                }
            }
            for (int u = 0; u < n; u++) {
                DeviceTiming d = fleet.get(u);
                if (phase[u] == 1 && remaining[u] <= 1e-12 * Math.max(1, d.processing())) {
                    phase[u] = 2;
                    localEnd[u] = t + d.tail();
                } else if (phase[u] == 0 && localEnd[u] <= t) {
                    phase[u] = 1;
                    remaining[u] = d.processing();
                } else if (phase[u] == 2 && localEnd[u] <= t) {
                    done[u]++;
                    if (done[u] == localSteps) {
                        phase[u] = 3;
                        finished++;
                    } else {
                        phase[u] = 0;
                        localEnd[u] = t + d.release();
                    }
                }
            }
        }
        return t;
    }
}
