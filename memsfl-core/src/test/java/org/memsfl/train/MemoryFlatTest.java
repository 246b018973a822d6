package org.memsfl.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.memsfl.data.Batch;
import org.memsfl.engine.DType;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.Llama2cLoader;
import org.memsfl.util.RunManifest;

/**
 * Every step runs in a native scope, so 200 steps must not grow the process: RSS after them is within 5% of RSS
 * after warm-up. Not a timing test; RSS is read from /proc.
 */
class MemoryFlatTest {

    @Test
    void twoHundredStepsKeepRssFlat() {
        try (DecoderModel model = Llama2cLoader.load(Assets.stories260K(), LayerRange.all(5), DType.F32)) {
            AdapterSet adapters = AdapterSet.init(model.config(), LoraConfig.defaults(), LayerRange.all(5), 0);
            SplittableRandom rng = new SplittableRandom(0);
            try (LoraTrainer t = new LoraTrainer(model, adapters, AdamW.Settings.defaults(), LrSchedule.constant(1e-3), 1.0)) {
                for (int i = 0; i < 30; i++) {
                    t.step(batch(rng));
                }
                System.gc();
                long warm = RunManifest.rssBytes();
                for (int i = 0; i < 200; i++) {
                    t.step(batch(rng));
                }
                System.gc();
                long after = RunManifest.rssBytes();
                System.out.printf("RSS after warm-up %d, after 200 steps %d (%.2f%%)%n", warm, after,
                        100.0 * (after - warm) / warm);
                assertThat(warm).isPositive();
                assertThat((double) after).isLessThan(warm * 1.05);
            }
        }
    }

    private static Batch batch(SplittableRandom rng) {
        int b = 8;
        int t = 128;
        long[] ids = new long[b * t];
        long[] tg = new long[b * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(512);
            tg[i] = i % t < 16 ? Loss.IGNORE : rng.nextInt(512);
        }
        int[] lens = new int[b];
        java.util.Arrays.fill(lens, t);
        return new Batch(ids, tg, lens, b, t);
    }
}
