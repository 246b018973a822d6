package org.memsfl.sim.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.memsfl.cost.MemoryModel;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.plan.Planner;
import org.memsfl.quant.WeightStorage;
import org.memsfl.settings.RunSettings;
import org.memsfl.sim.report.ReportInput;

/**
 * The scale study of a run whose devices store their layers as {@code --device-weights} prices that storage: its cuts
 * are the planner's for that storage (the ones training uses when the scale shape is the plan shape), and each split
 * method's device peak is {@link MemoryModel#device(int, WeightStorage)} at those cuts. Before, a quantized run's
 * scale study planned and priced float32 devices (int8 at gpt2-medium over paper-5: cuts 4/8/14/23/23 in
 * {@code scale.json} against 17/23/23/23/23 in training).
 *
 * <p>Oracle: the planner and the memory model called directly (exact: the same integers, no tolerance), and for the
 * quantized storages, cuts at least as deep as float32's and strictly deeper for the smallest device.
 */
class ScaleStudyStorageTest {

    static final String SHAPE = "random:gpt2-medium";

    static RunSettings settings(WeightStorage storage) {
        return RunSettings.builder().model("stories260K").planShape(SHAPE).data("dolly").partition("natural")
                .fleet("paper-5").batchSize(4).seqLen(128).lora(new LoraConfig(8, 16, 0, List.of("q", "v")))
                .safetyMargin(0.1).seed(7).deviceWeights(storage).build();
    }

    @ParameterizedTest
    @EnumSource(WeightStorage.class)
    void cutsAndDevicePeaksAreThoseOfTheStorage(WeightStorage storage) {
        Fleet fleet = Fleets.preset("paper-5");
        RunSettings s = settings(storage);
        ScaleStudy study = new ScaleStudy(SHAPE, fleet, s);
        MemoryModel mm = MemoryModel.of(ModelPresets.get("gpt2-medium"), s.lora(), 4, 128);
        Map<String, Integer> cuts = Planner.plan(mm, fleet, 0.1, s.serverRecompute(), storage).cuts();
        assertThat(study.plan().cuts()).isEqualTo(cuts);

        long deepest = cuts.values().stream().mapToLong(c -> mm.device(c, storage).total()).max().orElseThrow();
        int cMin = cuts.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        for (ReportInput.ScaleRow r : study.rows()) {
            switch (r.method()) {
                case "memsfl", "sfl-v1" -> assertThat(r.maxDevicePeakBytes()).as(r.method()).isEqualTo(deepest);
                case "splitlora" -> assertThat(r.maxDevicePeakBytes()).as(r.method())
                        .isEqualTo(mm.device(cMin, storage).total());
                default -> { }
            }
        }

        Map<String, Integer> fp32 = Planner.plan(mm, fleet, 0.1, s.serverRecompute(), WeightStorage.FP32).cuts();
        if (storage != WeightStorage.FP32) {
            assertThat(cuts).allSatisfy((id, c) -> assertThat(c).as(id).isGreaterThanOrEqualTo(fp32.get(id)));
            assertThat(cMin).isGreaterThan(fp32.values().stream().mapToInt(Integer::intValue).min().orElseThrow());
        }
    }
}
