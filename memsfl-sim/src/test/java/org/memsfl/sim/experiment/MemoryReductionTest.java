package org.memsfl.sim.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.cost.TrainingMethod;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;

/**
 * The modeled server-memory reduction of memsfl against SFL-V1 at the GPT-2-medium shape (B=4, T=128, r=8 on q,v),
 * with the server segment run on the whole batch and one row at a time. Prints the figures of the issue note.
 */
class MemoryReductionTest {

    @Test
    void memsflServerHoldsLessThanSflV1() {
        MemoryModel mm = MemoryModel.of(ModelPresets.get("gpt2-medium"), new LoraConfig(8, 16, 0, List.of("q", "v")), 4, 128);
        for (String preset : List.of("paper-5", "mixed-20")) {
            Fleet f = Fleets.resolve(preset);
            Plan p = Planner.plan(mm, f, 0.1);
            long sfl = MethodMemory.of(TrainingMethod.SFL_V1, mm, f, p.cuts(), 0.1).serverPeak();
            long whole = MethodMemory.of(TrainingMethod.MEMSFL, mm, f, p.cuts(), 0.1).serverPeak();
            long micro = MethodMemory.memsfl(mm, f, p.cuts(), 1).serverPeak();
            System.out.printf("%s (modeled): sfl-v1 %.2f GiB, memsfl %.2f GiB (%.1f%% less), memsfl with server micro-batch 1 %.2f GiB (%.1f%% less; not borne out by measurement)%n",
                    preset, sfl / 1073741824.0, whole / 1073741824.0, 100.0 * (1 - (double) whole / sfl),
                    micro / 1073741824.0, 100.0 * (1 - (double) micro / sfl));
            assertThat(micro).isLessThan(whole);
            assertThat(whole).isLessThan(sfl);
        }
    }
}
