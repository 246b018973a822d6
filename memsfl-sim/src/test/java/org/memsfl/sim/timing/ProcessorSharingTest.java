package org.memsfl.sim.timing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.memsfl.schedule.DeviceTiming;

/** Processor sharing worked by hand. */
class ProcessorSharingTest {

    @Test
    void oneDeviceIsSequential() {
        // r = 1 + 1, p = 3, q = 1 + 2: each step 8 s, three steps 24 s
        assertThat(ProcessorSharing.roundTime(List.of(new DeviceTiming(1, 1, 3, 1, 2)), 3)).isCloseTo(24, within(1e-9));
    }

    @Test
    void twoEqualJobsShareTheServer() {
        // both released at 1, each needs 2 s of server: sharing, both finish at 1 + 4 = 5; tails 1 -> 6
        List<DeviceTiming> f = List.of(new DeviceTiming(1, 0, 2, 0, 1), new DeviceTiming(1, 0, 2, 0, 1));
        assertThat(ProcessorSharing.roundTime(f, 1)).isCloseTo(6, within(1e-9));
    }

    @Test
    void staggeredReleases() {
        // A: r 0, p 4, q 0. B: r 1, p 1, q 0.
        // [0,1) A alone: A left 3. From 1 both at half speed: B needs 1 -> done at 3; A did 1 more, left 2 -> done at 5.
        List<DeviceTiming> f = List.of(new DeviceTiming(0, 0, 4, 0, 0), new DeviceTiming(1, 0, 1, 0, 0));
        assertThat(ProcessorSharing.roundTime(f, 1)).isCloseTo(5, within(1e-9));
    }
}
