package org.memsfl.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded random instances of {@code 1|r_j,q_j|Cmax} from deliberately different families, fixed before any result was
 * looked at: small integers (many ties and zeros), exponentials and uniforms whose three fields live on different
 * scales, and fleet-like jobs (heterogeneous device speeds; r, p, q of similar scale).
 */
final class RandomInstances {

    static final String[] FAMILIES = {"integer", "exponential", "uniform", "fleet"};

    private RandomInstances() {
    }

    static List<Job> draw(int family, int n, SplittableRandom rng) {
        List<Job> jobs = new ArrayList<>(n);
        double[] scales = {0.1, 1, 10};
        double[] widths = {1, 10, 100};
        double mr = scales[rng.nextInt(3)];
        double mp = scales[rng.nextInt(3)];
        double mq = scales[rng.nextInt(3)];
        double wr = widths[rng.nextInt(3)];
        double wp = widths[rng.nextInt(3)];
        double wq = widths[rng.nextInt(3)];
        for (int j = 0; j < n; j++) {
            double r;
            double p;
            double q;
            switch (family) {
                case 0 -> {
                    r = rng.nextInt(11);
                    p = rng.nextInt(11);
                    q = rng.nextInt(11);
                }
                case 1 -> {
                    r = exponential(rng, mr);
                    p = exponential(rng, mp);
                    q = exponential(rng, mq);
                }
                case 2 -> {
                    r = rng.nextDouble() * wr;
                    p = rng.nextDouble() * wp;
                    q = rng.nextDouble() * wq;
                }
                case 3 -> {
                    DeviceTiming d = fleetDevice(rng);
                    r = d.release();
                    p = d.processing();
                    q = d.tail();
                }
                default -> throw new IllegalArgumentException("family " + family);
            }
            if (family != 0) {
                // Zeros are legal (an idle link, a device that holds no layer to back-propagate) and corner cases.
                r = rng.nextDouble() < 0.05 ? 0 : r;
                p = rng.nextDouble() < 0.05 ? 0 : p;
                q = rng.nextDouble() < 0.05 ? 0 : q;
            }
            jobs.add(new Job(j, r, p, q));
        }
        return jobs;
    }

    /**
     * A device of a heterogeneous fleet: compute speed spread log-uniformly over 16x, link speed over 8x; the server
     * segment's time spreads with the device's cut. Backward costs about twice forward.
     */
    static DeviceTiming fleetDevice(SplittableRandom rng) {
        double slowness = Math.exp(rng.nextDouble(Math.log(0.25), Math.log(4)));
        double link = Math.exp(rng.nextDouble(Math.log(0.25), Math.log(2)));
        double forward = 0.3 * slowness;
        double uplink = 0.4 * link;
        double server = rng.nextDouble(0.3, 1.2);
        double downlink = 0.4 * link;
        double backward = 2 * forward;
        return new DeviceTiming(forward, uplink, server, downlink, backward);
    }

    static List<DeviceTiming> fleet(int devices, SplittableRandom rng) {
        List<DeviceTiming> fleet = new ArrayList<>(devices);
        for (int u = 0; u < devices; u++) {
            fleet.add(fleetDevice(rng));
        }
        return fleet;
    }

    private static double exponential(SplittableRandom rng, double mean) {
        return -mean * Math.log(1 - rng.nextDouble());
    }
}
