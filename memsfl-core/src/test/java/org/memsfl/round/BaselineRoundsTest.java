package org.memsfl.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memsfl.settings.RoundSettings;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.fed.Aggregators;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.Llama2cLoader;
import org.memsfl.train.AdamW;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.StepResult;

/**
 * The two baselines' core rounds on the real stories260K model. FedLoraRound's aggregate equals the num_examples
 * weighted mean of the clients' adapters computed here in float64 (within 1e-6: float32 sums of two terms);
 * CentralizedRound equals a plain LoraTrainer at the same schedule fed the same batches, bit for bit (the same float32
 * operations in the same order).
 */
class BaselineRoundsTest {

    static DecoderModel model;

    @BeforeAll
    static void load() {
        model = Llama2cLoader.load(Assets.stories260K(), LayerRange.all(5), DType.F32);
    }

    @AfterAll
    static void free() {
        model.close();
    }

    @Test
    void fedLoraAggregatesTheClientsByNumExamples() {
        try (FedLoraRound r = new FedLoraRound(RoundGuardsTest.S, model, RoundGuardsTest.LORA, Aggregators.of("fedavg"))) {
            r.register("a", 100);
            r.register("b", 300);
            SplittableRandom rng = new SplittableRandom(3);
            for (int k = 0; k < RoundGuardsTest.S.localSteps(); k++) {
                for (String id : List.of("a", "b")) {
                    StepResult s = r.localStep(id, RoundGuardsTest.batch(rng));
                    assertThat(s.loss()).isFinite();
                }
            }
            Map<String, double[]> a = flat(r.adapters("a"));
            Map<String, double[]> b = flat(r.adapters("b"));
            assertThat(a.keySet()).anyMatch(k -> !java.util.Arrays.equals(a.get(k), b.get(k))); // they trained apart
            assertThatThrownBy(() -> r.register("c", 1)).isInstanceOf(IllegalStateException.class);
            assertThat(r.endRound()).containsExactly("a", "b");
            Map<String, double[]> g = flat(r.global());
            assertThat(g.keySet()).isEqualTo(a.keySet());
            for (String k : g.keySet()) {
                for (int i = 0; i < g.get(k).length; i++) {
                    double want = (100 * a.get(k)[i] + 300 * b.get(k)[i]) / 400;
                    assertThat(g.get(k)[i]).as(k + "[" + i + "]").isCloseTo(want, within(1e-6));
                }
            }
        }
    }

    @Test
    void centralizedTakesLocalStepsTimesDevicesStepsOfOneTrainer() {
        int devices = 3;
        RoundSettings s = RoundGuardsTest.S;
        try (CentralizedRound r = new CentralizedRound(s, model, RoundGuardsTest.LORA, devices);
             LoraTrainer plain = new LoraTrainer(model, AdapterSet.init(model.config(), RoundGuardsTest.LORA,
                     LayerRange.all(5), s.seed()), AdamW.Settings.defaults(), s.schedule(), s.maxGradNorm())) {
            SplittableRandom rng = new SplittableRandom(9);
            List<StepResult> steps = r.round(() -> RoundGuardsTest.batch(rng));
            assertThat(steps).hasSize(s.localSteps() * devices);
            SplittableRandom again = new SplittableRandom(9);
            for (StepResult step : steps) {
                assertThat(plain.step(RoundGuardsTest.batch(again)).loss()).isEqualTo(step.loss());
            }
            assertThat(flat(r.adapters())).usingRecursiveComparison().isEqualTo(flat(plain.adapters()));
        }
        assertThatThrownBy(() -> new CentralizedRound(s, model, RoundGuardsTest.LORA, 0))
                .hasMessageContaining("got 0");
    }

    static Map<String, double[]> flat(AdapterSet a) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : a.namedParameters().entrySet()) {
            float[] f = Tensors.toFloats(e.getValue());
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            out.put(e.getKey(), d);
        }
        return out;
    }
}
