package org.memsfl.sim.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;

/**
 * The modeled server-memory reduction of memsfl against SFL-V1 at the GPT-2-medium shape (B=4, T=128, r=8 on q,v):
 * the plain method, with server micro-batches of one row, and with layer recompute (the default). Prints the figures
 * of the issue note; bench-results/server_memory.json holds the measured ones.
 */
class MemoryReductionTest {

    @Test
    void memsflServerHoldsLessThanSflV1() {
        MemoryModel mm = MemoryModel.of(ModelPresets.get("gpt2-medium"), new LoraConfig(8, 16, 0, List.of("q", "v")), 4, 128);
        for (String preset : List.of("paper-5", "mixed-20")) {
            Fleet f = Fleets.resolve(preset);
            Plan p = Planner.plan(mm, f, 0.1);
            long sfl = MethodMemory.sflV1(mm, f, p.cuts()).serverPeak();
            long plain = MethodMemory.memsfl(mm, f, p.cuts(), 0, false).serverPeak();
            long recompute = MethodMemory.memsfl(mm, f, p.cuts(), 0, true).serverPeak();
            long micro = MethodMemory.memsfl(mm, f, p.cuts(), 1).serverPeak();
            System.out.printf("%s (modeled): sfl-v1 %.2f GiB; memsfl plain %.2f GiB (%.1f%% less), with layer recompute"
                            + " %.2f GiB (%.1f%% less), with one-row micro-batches %.2f GiB (%.1f%% less)%n",
                    preset, gib(sfl), gib(plain), pct(plain, sfl), gib(recompute), pct(recompute, sfl), gib(micro),
                    pct(micro, sfl));
            assertThat(micro).isLessThan(plain);
            assertThat(recompute).isLessThan(plain);
            assertThat(plain).isLessThan(sfl);
            // the floor, for the default server (recompute on)
            assertThat(pct(recompute, sfl)).as(preset).isGreaterThanOrEqualTo(70.0);
        }
    }

    private static double gib(long bytes) {
        return bytes / 1073741824.0;
    }

    private static double pct(long part, long whole) {
        return 100.0 * (1 - (double) part / whole);
    }
}
