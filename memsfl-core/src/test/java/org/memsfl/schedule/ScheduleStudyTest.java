package org.memsfl.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.memsfl.schedule.RoundSimulator.Mode;

/** The report helper: one round time per mode and policy, consistent with the simulator, reproducible. */
class ScheduleStudyTest {

    @Test
    void comparesEveryPolicyInBothModes() {
        List<DeviceTiming> fleet = RandomInstances.fleet(8, new SplittableRandom(12));
        Map<String, Double> times = ScheduleStudy.compare(fleet, 5, 77L);
        assertThat(times.keySet()).containsExactly(
                "synchronous/fcfs", "synchronous/random", "synchronous/schrage", "synchronous/exact",
                "synchronous/critical", "synchronous/best", "pipelined/fcfs", "pipelined/random", "pipelined/schrage",
                "pipelined/exact", "pipelined/critical", "pipelined/best");
        for (Mode mode : Mode.values()) {
            for (String name : Policies.NAMES) {
                double direct = RoundSimulator.simulate(fleet, 5, Policies.of(name), mode, new SplittableRandom(77L))
                        .roundTime();
                assertThat(times.get(mode.name().toLowerCase() + "/" + name)).isEqualTo(direct);
            }
        }
        assertThat(times.get("synchronous/exact")).isLessThanOrEqualTo(times.get("synchronous/fcfs"));
        assertThat(times.get("synchronous/exact")).isLessThanOrEqualTo(times.get("synchronous/schrage"));
        assertThat(times.get("synchronous/exact")).isLessThanOrEqualTo(times.get("synchronous/random"));
        assertThat(ScheduleStudy.compare(fleet, 5, 77L)).isEqualTo(times);
        System.out.println("8-device fleet, 5 local steps: " + times);
    }
}
