package org.memsfl.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each device is tested on the held-out prompts of its own natural keys; shared keys fall back to the partitioner. */
class DeviceHeldOutTest {

    private static Example ex(String prompt, String response, String key) {
        return new Example(prompt, response, key);
    }

    @Test
    void naturalKeysGoToTheirOwnDeviceWithReferencesMerged() {
        List<List<Example>> train = List.of(List.of(ex("p", "r", "aromi"), ex("q", "r", "zizzi")),
                List.of(ex("s", "r", "eagle")));
        List<Example> eval = List.of(ex("mr1", "ref a", "eagle"), ex("mr1", "ref b", "eagle"), ex("mr2", "x", "aromi"),
                ex("mr3", "y", "zizzi"), ex("mr4", "z", "aromi"), ex("mr5", "w", "unseen"));
        Map<String, List<HeldOutPrompt>> split = DeviceHeldOut.split(train, List.of("d0", "d1"), eval, "natural", 0, 2);
        assertThat(split.get("d1")).containsExactly(new HeldOutPrompt("mr1", List.of("ref a", "ref b"), "eagle"));
        // capped at 2, one from each of the device's keys in turn
        assertThat(split.get("d0")).extracting(HeldOutPrompt::prompt).containsExactly("mr2", "mr3");
    }

    @Test
    void heldOutKeysUnseenInTrainingArePartitionedByKey() {
        List<List<Example>> train = List.of(List.of(ex("p", "r", "a")), List.of(ex("q", "r", "b")));
        List<Example> eval = List.of(ex("m1", "1", "x"), ex("m2", "2", "y"), ex("m3", "3", "x"));
        Map<String, List<HeldOutPrompt>> split = DeviceHeldOut.split(train, List.of("d0", "d1"), eval, "natural", 0, 5);
        assertThat(split.get("d0")).extracting(HeldOutPrompt::clientKey).containsOnly("x").hasSize(2);
        assertThat(split.get("d1")).extracting(HeldOutPrompt::clientKey).containsOnly("y");
    }

    @Test
    void sharedKeysAreSplitByThePartitioner() {
        List<List<Example>> train = List.of(List.of(ex("p", "r", "k")), List.of(ex("q", "r", "k")));
        List<Example> eval = List.of(ex("a", "1", "k"), ex("b", "2", "k"), ex("c", "3", "k"), ex("d", "4", "k"));
        Map<String, List<HeldOutPrompt>> split = DeviceHeldOut.split(train, List.of("d0", "d1"), eval, "iid", 7, 10);
        assertThat(split.get("d0").size() + split.get("d1").size()).isEqualTo(4);
        assertThat(split.get("d0")).isNotEmpty();
        assertThat(split.get("d1")).isNotEmpty();
    }
}
