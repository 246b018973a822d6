package org.memsfl.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Non-delay evaluation of a given order, checked by hand, and the input checks of the value types. */
class ScheduleTest {

    // J0 is available at once but has a small tail; J1 arrives at 1 with a long tail; J2 arrives late with no tail.
    private static final List<Job> JOBS = List.of(
            new Job(0, 0, 3, 2),
            new Job(1, 1, 2, 6),
            new Job(2, 6, 1, 0));

    @Test
    void evaluatesOrderNonDelayByHand() {
        // J0 [0,3] ends 3+2=5; J1 waits for the server: [3,5], ends 5+6=11; J2 waits for its release: [6,7], ends 7.
        Schedule s = Schedule.of(JOBS, List.of(0, 1, 2));
        assertThat(s.start()).containsExactly(0, 3, 6);
        assertThat(s.completion()).containsExactly(3, 5, 7);
        assertThat(s.makespan()).isEqualTo(11);

        // Serving J1 first leaves the server idle during [0,1] but finishes the long tail early:
        // J1 [1,3] ends 9; J0 [3,6] ends 8; J2 [6,7] ends 7.
        Schedule t = Schedule.of(JOBS, List.of(1, 0, 2));
        assertThat(t.start()).containsExactly(3, 1, 6); // indexed by job position, not by service order
        assertThat(t.completion()).containsExactly(6, 3, 7);
        assertThat(t.makespan()).isEqualTo(9);
        assertThat(t.order()).containsExactly(1, 0, 2);
        assertThat(t.startOf(1)).isEqualTo(1);
        assertThat(t.completionOf(0)).isEqualTo(6);
    }

    @Test
    void emptyInstanceHasZeroMakespan() {
        assertThat(Schedule.of(List.of(), List.of()).makespan()).isZero();
    }

    @Test
    void arraysCannotBeChangedFromOutside() {
        Schedule s = Schedule.of(JOBS, List.of(0, 1, 2));
        s.start()[0] = 99;
        s.completion()[0] = 99;
        assertThat(s.startOf(0)).isZero();
        assertThat(s.completionOf(0)).isEqualTo(3);
        assertThat(s).isEqualTo(Schedule.of(JOBS, List.of(0, 1, 2)));
        assertThat(s).isNotEqualTo(Schedule.of(JOBS, List.of(1, 0, 2)));
    }

    @Test
    void rejectsOrdersThatAreNotPermutations() {
        assertThatThrownBy(() -> Schedule.of(JOBS, List.of(0, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("each of the 3 jobs once, got 2");
        assertThatThrownBy(() -> Schedule.of(JOBS, List.of(0, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position 1 twice");
        assertThatThrownBy(() -> Schedule.of(JOBS, List.of(0, 1, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..2, got 3");
    }

    @Test
    void rejectsBadTimes() {
        assertThatThrownBy(() -> new Job(0, 0, -1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("processing time must be finite and >= 0, got -1.0");
        assertThatThrownBy(() -> new Job(0, Double.NaN, 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("release time");
        assertThatThrownBy(() -> new Job(0, 0, 1, Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tail");
        assertThatThrownBy(() -> new Job(-1, 0, 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("job id must be >= 0, got -1");
        assertThatThrownBy(() -> new DeviceTiming(1, -0.5, 1, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("uplink time must be finite and >= 0, got -0.5");
        assertThatThrownBy(() -> new ServerSlot(0, 0, 2, 2, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slot end");
    }

    @Test
    void deviceTimingMakesTheStepJob() {
        DeviceTiming d = new DeviceTiming(1, 2, 3, 4, 5);
        assertThat(d.job(7)).isEqualTo(new Job(7, 3, 3, 9));
        assertThat(d.deviceBusy()).isEqualTo(12);
    }
}
