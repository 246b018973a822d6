package org.memsfl.schedule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/** Round time of one fleet under every named policy, for the experiment report. */
public final class ScheduleStudy {

    private ScheduleStudy() {
    }

    /**
     * Round time per mode and policy. Keys are {@code "<mode>/<policy>"} with lower-case mode, e.g.
     * {@code "synchronous/fcfs"}, {@code "pipelined/exact"}, in the order of {@link RoundSimulator.Mode} then
     * {@link Policies#NAMES}. Each run draws from its own {@code new SplittableRandom(seed)}, so one policy's draws do
     * not depend on which others ran.
     */
    public static Map<String, Double> compare(List<DeviceTiming> fleet, int localSteps, long seed) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (RoundSimulator.Mode mode : RoundSimulator.Mode.values()) {
            String prefix = mode.name().toLowerCase(Locale.ROOT) + "/";
            compare(fleet, localSteps, seed, mode).forEach((policy, time) -> out.put(prefix + policy, time));
        }
        return out;
    }

    /** Round time per policy name ({@link Policies#NAMES} order) in one mode. */
    public static Map<String, Double> compare(List<DeviceTiming> fleet, int localSteps, long seed,
                                              RoundSimulator.Mode mode) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String name : Policies.NAMES) {
            RoundResult r = RoundSimulator.simulate(fleet, localSteps, Policies.of(name), mode,
                    new SplittableRandom(seed));
            out.put(name, r.roundTime());
        }
        return out;
    }
}
