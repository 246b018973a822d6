package org.memsfl.sim.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.cost.MemoryBreakdown;
import org.memsfl.cost.MethodMemory;
import org.memsfl.metrics.DeviceQuality;
import org.memsfl.metrics.Prediction;
import org.memsfl.train.TaskEvaluator;

/**
 * A method's result comes back from its process's file equal to what was written (record equality: every double
 * bit for bit, NaN and infinities included, maps in their order), so the parent's report is the in-process one.
 */
class MethodRunTest {

    @Test
    void roundTripsEveryFieldExactly(@TempDir Path dir) {
        MemoryBreakdown b = new MemoryBreakdown(1L << 33, 12_345, 12_345, 24_690, 987_654_321L, 7);
        Map<String, MemoryBreakdown> devices = new java.util.LinkedHashMap<>();
        devices.put("d1", b);
        devices.put("d0", MemoryBreakdown.ZERO);
        MethodMemory memory = new MethodMemory(b, devices, List.of("d9"));
        RoundMetrics r1 = new RoundMetrics("sfl-v1", 1, Double.NaN, 3.141592653589793, 0.1 + 0.2, 1e-300, 10, 20,
                b.total(), 5, List.of("d1", "d0"), List.of("d1:1", "d0:1"),
                List.of(new RoundMetrics.Slot("d1:1", 0.1, 0.1 + 0.2, 1.0 / 3), new RoundMetrics.Slot("d0:1", 2, 2.5, 4)),
                Map.of());
        RoundMetrics r2 = new RoundMetrics("sfl-v1", 2, 2.718281828459045, Double.POSITIVE_INFINITY, 4.9e-324, 2.5,
                Long.MAX_VALUE, 0, 0, 0, List.of(), List.of(), Map.of("rougeL", 0.123456789012345678));
        TaskEvaluator.Result task = new TaskEvaluator.Result(
                List.of(new Prediction("Q: \"why\"\n", List.of("a", "b ü"), "answer\t", "cat")),
                Map.of("rougeL", 1.0 / 3), DeviceQuality.of("rougeL", Map.of("d1", 0.5, "d0", 1.0 / 7)));
        MethodResult result = new MethodResult("sfl-v1", List.of(r1, r2), memory, 12.75, 99.5, Double.NaN, 1L << 40, 3,
                List.of("d9"), task);
        MethodRun written = new MethodRun(result, 1.25);
        written.write(dir);
        MethodRun read = MethodRun.read(dir);
        assertThat(read).isEqualTo(written);
        assertThat(read.result().toSummary()).isEqualTo(result.toSummary());
        assertThat(read.result().rounds().get(0).toMap()).isEqualTo(r1.toMap());
        assertThat(read.result().memory().devices().keySet()).containsExactly("d1", "d0");

        MethodResult noTask = new MethodResult("memsfl", List.of(r1), memory, 1, 2, 3, 4, 5, List.of(), null);
        new MethodRun(noTask, 0).write(dir);
        assertThat(MethodRun.read(dir).result()).isEqualTo(noTask);
    }
}
