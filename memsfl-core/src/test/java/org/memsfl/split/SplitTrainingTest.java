package org.memsfl.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.memsfl.data.Batch;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.Llama2cLoader;
import org.memsfl.train.AdamW;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.LrSchedule;
import org.memsfl.train.StepResult;

/**
 * Several split local steps (device forward, server process with its own AdamW, gradient back, device AdamW) follow
 * the same trajectory as unsplit LoRA training: AdamW is per parameter, so splitting the parameter set between two
 * optimizers changes nothing while clipping is off. Float32 over 5 steps: 1e-5 absolute on adapter values (updates
 * are ~1e-3 per step; accumulation-order noise is ~1e-7).
 */
class SplitTrainingTest {

    @Test
    void splitStepsFollowTheUnsplitTrajectory() {
        try (DecoderModel model = Llama2cLoader.load(Assets.stories260K(), LayerRange.all(5), DType.F32)) {
            LoraConfig lora = new LoraConfig(4, 8, 0, List.of("q", "v", "o"));
            AdapterSet init = AdapterSet.init(model.config(), lora, LayerRange.all(5), 3);
            AdapterSet whole = init.copy();
            AdapterSet split = init.copy();
            int cut = 2;
            LrSchedule lr = LrSchedule.constant(1e-2);
            ServerSegment server = new ServerSegment();
            AdapterSet serverSide = split.slice(cut, 5, false);
            ServerState state = new ServerState(cut, model, serverSide,
                    new AdamW(serverSide.namedParameters(), AdamW.Settings.defaults()));
            server.register("d0", state);
            SplittableRandom rng = new SplittableRandom(9);
            try (LoraTrainer trainer = new LoraTrainer(model, whole, AdamW.Settings.defaults(), lr, 0);
                 DeviceSegment device = new DeviceSegment("d0", cut, model, split.slice(0, cut, true), AdamW.Settings.defaults())) {
                for (int step = 0; step < 5; step++) {
                    Batch b = batch(rng);
                    StepResult expected = trainer.step(b);
                    StepResult actual = device.localStep(b, p -> server.process(p, 1e-2, 0), 1e-2, 0);
                    assertThat(actual.loss()).isCloseTo(expected.loss(), within(1e-5));
                }
            }
            Map<String, Tensor> e = whole.namedParameters();
            Map<String, Tensor> a = split.namedParameters();
            for (String k : e.keySet()) {
                float[] x = Tensors.toFloats(e.get(k));
                float[] y = Tensors.toFloats(a.get(k));
                for (int i = 0; i < x.length; i++) {
                    assertThat((double) y[i]).as(k).isCloseTo(x[i], within(1e-5));
                }
            }
        }
    }

    @Test
    void escapedTensorMovesToTheEnclosingScope() {
        Tensor moved;
        try (NativeScope outer = new NativeScope()) {
            try (NativeScope inner = new NativeScope()) {
                moved = inner.escape(Tensors.fromFloats(new float[] {1, 2}, 2).mul(Tensors.scalar(3)));
            }
            assertThat(Tensors.toFloats(moved)).containsExactly(3, 6); // alive after the inner scope
            assertThat(moved.isNull()).isFalse();
        }
        assertThat(moved.isNull()).as("freed with the outer scope").isTrue();
    }

    @Test
    void keptTensorOutlivesItsScope() {
        Tensor kept;
        try (NativeScope scope = new NativeScope()) {
            kept = scope.keep(Tensors.fromFloats(new float[] {1, 2, 3}, 3).mul(Tensors.scalar(2)));
            Tensors.fromFloats(new float[] {9, 9, 9}, 3); // freed with the scope
        }
        assertThat(Tensors.toFloats(kept)).containsExactly(2, 4, 6);
        kept.close();
    }

    private static Batch batch(SplittableRandom rng) {
        int b = 2;
        int t = 16;
        long[] ids = new long[b * t];
        long[] tg = new long[b * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(512);
            tg[i] = i % t < 4 ? -100 : rng.nextInt(512);
        }
        return new Batch(ids, tg, new int[] {t, t}, b, t);
    }
}
