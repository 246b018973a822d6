package org.memsfl.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memsfl.settings.RoundSettings;
import org.memsfl.data.Batch;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.fed.Aggregators;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.Llama2cLoader;
import org.memsfl.train.AdamW;

/**
 * What the core round does not take on trust (issue 10), on the real stories260K model with two devices (cuts 2 and
 * 3): hostile uploads refused or clipped, a round below the quorum rolled back, the health gate rolling back a
 * poisoned aggregate, and a device restarted inside a round ending where an uninterrupted run ends, bit for bit (the
 * same float32 operations in the same order, so exact equality is the oracle).
 */
class RoundGuardsTest {

    static DecoderModel model;
    static final LoraConfig LORA = new LoraConfig(4, 8, 0, List.of("q", "v"));
    static final RoundSettings S = new RoundSettings(3, 2, 1e-2, 0, 1.0, 5);

    @BeforeAll
    static void load() {
        model = Llama2cLoader.load(Assets.stories260K(), LayerRange.all(5), DType.F32);
    }

    @AfterAll
    static void free() {
        model.close();
    }

    static SplitServer server(RoundGuards g) {
        SplitServer s = new SplitServer(S, g, ServerDesign.MEMSFL, model, LORA, Aggregators.of("fedavg"), false, null);
        s.register("a", 2, 100);
        s.register("b", 3, 100);
        return s;
    }

    static Batch batch(SplittableRandom rng) {
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

    /** A device's local steps of the open round, from {@code start}; returns its live device (the caller closes it). */
    static SplitDevice train(SplitServer s, String id, AdapterSet start, int steps, long seed) {
        SplitDevice d = new SplitDevice(id, s.device(id).cut(), model, start.copy(), S);
        d.beginRound(s.round(), d.adapters());
        SplittableRandom rng = new SplittableRandom(seed);
        for (int k = 1; k <= steps; k++) {
            int step = k;
            d.localStep(batch(rng), p -> s.serve(p, step));
        }
        return d;
    }

    static Map<String, float[]> values(AdapterSet a) {
        Map<String, float[]> out = new LinkedHashMap<>();
        a.toTensorMap().forEach((k, t) -> out.put(k, Tensors.toFloats(t)));
        return out;
    }

    /** One row of {@code text} (BOS first), every next token a target. */
    static Batch story(String text) {
        int[] enc = org.memsfl.tokenizer.Llama2cTokenizer.load(Assets.tok512()).encode(text);
        int t = enc.length;
        long[] ids = new long[t];
        long[] tg = new long[t];
        ids[0] = 1;
        for (int i = 0; i < t; i++) {
            if (i > 0) {
                ids[i] = enc[i - 1];
            }
            tg[i] = enc[i];
        }
        return new Batch(ids, tg, new int[] {t}, 1, t);
    }

    static AdapterSet shifted(AdapterSet a, double value) {
        AdapterSet c = a.copy();
        c.toTensorMap().values().forEach(t -> t.add_(new Scalar(value)));
        return c;
    }

    @Test
    void hostileUploadsAreRefusedAndTheRoundGoesOnWithoutThem() {
        for (String attack : List.of("1e30", "NaN", "2^62 examples")) {
            try (SplitServer s = server(new RoundGuards(1, RoundGuards.AUTO, false, 0, true))) {
                s.beginRound(1);
                try (SplitDevice a = train(s, "a", s.initialDeviceSide("a"), 2, 1);
                     SplitDevice b = train(s, "b", s.initialDeviceSide("b"), 2, 2);
                     AdapterSet huge = shifted(b.adapters(), 1e30);
                     AdapterSet nan = shifted(b.adapters(), Double.NaN)) {
                    var refused = switch (attack) {
                        case "1e30" -> assertThatThrownBy(() -> s.upload("b", 1, huge, 10))
                                .hasMessageContaining("above the bound").hasMessageContaining("honest device");
                        case "NaN" -> assertThatThrownBy(() -> s.upload("b", 1, nan, 10))
                                .hasMessageContaining("NaN or infinite");
                        default -> assertThatThrownBy(() -> s.upload("b", 1, b.adapters(), 1L << 62))
                                .hasMessageContaining("num_examples must be in [1, 100]");
                    };
                    refused.isInstanceOfSatisfying(RoundRefusal.class,
                            r -> assertThat(r.kind()).isEqualTo(RoundRefusal.Kind.INVALID))
                            .hasMessageContaining("the round goes on without it");
                    assertThat(s.device("b").phase()).as(attack).isEqualTo(DevicePhase.LEFT_OUT);
                    // the honest update passes the automatic bound (an honest AdamW cannot exceed it)
                    s.upload("a", 1, a.adapters(), 40);
                    assertThat(s.complete()).isTrue();
                    RoundEnd end = s.endRound();
                    assertThat(end.discarded()).isNull();
                    assertThat(end.participants()).containsExactly("a");
                    assertThat(end.leftOut()).containsExactly("b");
                    assertThat(UploadCheck.finite(s.global())).isTrue();
                }
            }
        }
    }

    @Test
    void anUpdateAboveTheBoundIsClippedOntoIt() {
        try (SplitServer s = server(RoundGuards.defaults());
             AdapterSet start = s.initialDeviceSide("a").copy();
             AdapterSet up = shifted(start, 0.3)) {
            double before = UploadCheck.check("a", up, start, new RoundGuards(1, 0.5, true, 0, false), S);
            // float64 oracle over the plain values
            Map<String, float[]> u = values(up);
            Map<String, float[]> s0 = values(start);
            double sq = 0;
            long n = 0;
            for (String k : u.keySet()) {
                for (int i = 0; i < u.get(k).length; i++) {
                    double d = (double) u.get(k)[i] - s0.get(k)[i];
                    sq += d * d;
                    n++;
                }
            }
            assertThat(before).isCloseTo(0.3 * Math.sqrt(n), within(1e-4 * before));
            assertThat(Math.sqrt(sq)).isCloseTo(0.5, within(1e-5)); // float32 rounding of each value
        }
    }

    @Test
    void aRoundBelowTheQuorumIsRolledBack() {
        try (SplitServer s = server(new RoundGuards(2, RoundGuards.AUTO, false, 0, false))) {
            Map<String, float[]> globalBefore = values(s.global());
            Map<String, float[]> serverBefore = values(s.serverSide("a"));
            s.beginRound(1);
            try (SplitDevice a = train(s, "a", s.initialDeviceSide("a"), 2, 1)) {
                s.upload("a", 1, a.adapters(), 40);
                assertThat(values(s.serverSide("a"))).isNotEqualTo(serverBefore); // the server side did train
                assertThat(s.leaveOutLate()).containsExactly("b");
                RoundEnd end = s.endRound();
                assertThat(end.discarded()).startsWith("no quorum: 1 of 2 devices uploaded, below the 2 required");
                assertEqual(values(s.global()), globalBefore);
                assertEqual(values(s.serverSide("a")), serverBefore);
                assertEqual(values(end.next().get("a")), values(s.initialDeviceSide("a")));
            }
        }
    }

    @Test
    void roundOneIsGatedAgainstTheInitialAdaptersLoss() {
        // real TinyStories-like text, on which the trained model's loss is low (random tokens would not do: a broken
        // model is no worse on them than a good one)
        List<Batch> heldOut = List.of(story("Once upon a time, there was a little girl named Lily. She loved to play"
                + " outside in the park with her dog."), story("One day, a little boy went to the park. He saw a big"
                + " red ball and wanted to play with it."));
        try (SplitServer s = server(new RoundGuards(1, 0, false, 2.0, false))) {
            Map<String, float[]> initial = values(s.global());
            double initialLoss = s.evaluate(heldOut); // the reference the gate must use: nothing was kept before
            s.beginRound(1);
            try (SplitDevice a = train(s, "a", s.initialDeviceSide("a"), 2, 1);
                 SplitDevice b = train(s, "b", s.initialDeviceSide("b"), 2, 2);
                 AdapterSet poisoned = shifted(b.adapters(), 1.0)) {
                s.upload("a", 1, a.adapters(), 50);
                s.upload("b", 1, poisoned, 50); // finite, within no bound (off): a loss far above round 0's, not NaN
                RoundEnd end = s.endRound(heldOut, Double.NaN);
                assertThat(end.discarded()).as("the ratio test, not finiteness, caught it")
                        .startsWith("rolled back: the held-out loss ")
                        .contains(String.format(java.util.Locale.ROOT, "times the last good round's %.4f", initialLoss));
                assertEqual(values(s.global()), initial);
                assertThat(end.evalLoss()).isCloseTo(initialLoss, within(1e-9));
            }
        }
        // an honest round 1 against the same reference is kept
        try (SplitServer s = server(new RoundGuards(1, 0, false, 2.0, false))) {
            s.beginRound(1);
            try (SplitDevice a = train(s, "a", s.initialDeviceSide("a"), 2, 1);
                 SplitDevice b = train(s, "b", s.initialDeviceSide("b"), 2, 2)) {
                s.upload("a", 1, a.adapters(), 50);
                s.upload("b", 1, b.adapters(), 50);
                assertThat(s.endRound(heldOut, Double.NaN).discarded()).isNull();
            }
        }
    }

    @Test
    void theHealthGateRollsBackAPoisonedAggregate() {
        SplittableRandom rng = new SplittableRandom(7);
        List<Batch> heldOut = List.of(batch(rng), batch(rng));
        try (SplitServer s = server(new RoundGuards(1, 0, false, 2.0, false))) {
            s.beginRound(1);
            double good;
            try (SplitDevice a = train(s, "a", s.initialDeviceSide("a"), 2, 1);
                 SplitDevice b = train(s, "b", s.initialDeviceSide("b"), 2, 2)) {
                s.upload("a", 1, a.adapters(), 50);
                s.upload("b", 1, b.adapters(), 50);
                RoundEnd end = s.endRound(heldOut, Double.NaN);
                assertThat(end.discarded()).isNull();
                good = end.evalLoss();
                assertThat(good).isFinite();
                AdapterSet nextA = end.next().get("a").copy();
                AdapterSet nextB = end.next().get("b").copy();
                Map<String, float[]> kept = values(s.global());
                s.beginRound(2);
                try (SplitDevice a2 = train(s, "a", nextA, 2, 3); SplitDevice b2 = train(s, "b", nextB, 2, 4);
                     AdapterSet poisoned = shifted(b2.adapters(), 1e30)) {
                    s.upload("a", 2, a2.adapters(), 50);
                    s.upload("b", 2, poisoned, 50); // finite, and the norm bound is off: only the gate stands
                    RoundEnd bad = s.endRound(heldOut, good);
                    assertThat(bad.discarded()).startsWith("rolled back: ");
                    assertEqual(values(s.global()), kept);
                    assertThat(bad.evalLoss()).isCloseTo(good, within(1e-6));
                    assertEqual(values(bad.next().get("b")), values(nextB));
                } finally {
                    nextA.close();
                    nextB.close();
                }
            }
        }
    }

    @Test
    void aDeviceRestartedInsideARoundEndsWhereAnUninterruptedOneDoes() {
        Map<String, float[]> straight;
        try (SplitServer s = server(new RoundGuards(1, RoundGuards.AUTO, false, 0, true))) {
            s.beginRound(1);
            try (SplitDevice a = train(s, "a", s.initialDeviceSide("a"), 2, 1);
                 SplitDevice b = train(s, "b", s.initialDeviceSide("b"), 2, 2)) {
                s.upload("a", 1, a.adapters(), 50);
                s.upload("b", 1, b.adapters(), 50);
                s.endRound();
                straight = values(s.global());
            }
        }
        try (SplitServer s = server(new RoundGuards(1, RoundGuards.AUTO, false, 0, true))) {
            s.beginRound(1);
            Map<String, float[]> startA = values(s.serverSide("a"));
            try (SplitDevice crashed = train(s, "a", s.initialDeviceSide("a"), 1, 1)) {
                assertThat(s.device("a").stepsDone()).isEqualTo(1);
            }
            assertThat(s.restart("a")).isNull();
            assertThat(s.device("a").stepsDone()).isZero();
            assertThat(s.device("a").phase()).isEqualTo(DevicePhase.TRAINING);
            assertEqual(values(s.serverSide("a")), startA);
            try (SplitDevice a = train(s, "a", s.initialDeviceSide("a"), 2, 1);
                 SplitDevice b = train(s, "b", s.initialDeviceSide("b"), 2, 2)) {
                s.upload("a", 1, a.adapters(), 50);
                s.upload("b", 1, b.adapters(), 50);
                s.endRound();
                assertEqual(values(s.global()), straight);
            }
        }
    }

    @Test
    void adamsStepRatioNeverExceedsTheBound() {
        double c = UpdateBound.adamRatio(0.9, 0.999);
        // (1-b1)/sqrt(1-b2)/sqrt(1-b1^2/b2), worked by hand: 0.1/0.0316228/0.434959 = 7.2703
        assertThat(c).isCloseTo(7.2703, within(1e-3));
        double worst = 0;
        SplittableRandom rng = new SplittableRandom(3);
        List<double[]> sequences = new ArrayList<>();
        double[] spike = new double[3000];
        spike[2999] = 1;
        for (int i = 0; i < 2999; i++) {
            spike[i] = 1e-6;
        }
        sequences.add(spike);
        double[] noisy = new double[3000];
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] = rng.nextGaussian() * Math.exp(rng.nextGaussian() * 3);
        }
        sequences.add(noisy);
        double[] growing = new double[3000];
        for (int i = 0; i < growing.length; i++) {
            growing[i] = Math.pow(1.02, i); // each gradient larger than all before: the worst case the bound covers
        }
        sequences.add(growing);
        for (double[] g : sequences) {
            double m = 0;
            double v = 0;
            for (int t = 1; t <= g.length; t++) {
                m = 0.9 * m + 0.1 * g[t - 1];
                v = 0.999 * v + 0.001 * g[t - 1] * g[t - 1];
                double ratio = Math.abs(m / (1 - Math.pow(0.9, t))) / Math.sqrt(v / (1 - Math.pow(0.999, t)));
                assertThat(ratio).isLessThanOrEqualTo(c * (1 + 1e-12));
                worst = Math.max(worst, ratio);
            }
        }
        assertThat(worst).as("the bound is not loose by orders of magnitude").isGreaterThan(3);
        // the honest bound of a round: I lr C sqrt(P) without weight decay
        assertThat(UpdateBound.honestAdamW(AdamW.Settings.defaults(), 8, 1e-3, 10_000, 5))
                .isCloseTo(8 * 1e-3 * c * 100, within(1e-9));
    }

    @Test
    void theGateNamesWhatWentWrong() {
        assertThat(HealthGate.verdict(Double.NaN, 2, 2)).contains("is NaN");
        assertThat(HealthGate.verdict(5, 2, 2)).contains("above 2.00 times the last good round's 2.0000");
        assertThat(HealthGate.verdict(3.9, 2, 2)).isNull();
        assertThat(HealthGate.verdict(100, Double.NaN, 2)).isNull();
        assertThat(HealthGate.verdict(100, 2, 0)).isNull();
    }

    static void assertEqual(Map<String, float[]> actual, Map<String, float[]> expected) {
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((k, v) -> assertThat(actual.get(k)).as(k).containsExactly(v));
    }
}
