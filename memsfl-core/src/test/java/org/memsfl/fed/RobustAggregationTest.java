package org.memsfl.fed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.memsfl.fed.AggregationTest.MODEL;
import static org.memsfl.fed.AggregationTest.N;
import static org.memsfl.fed.AggregationTest.QV;
import static org.memsfl.fed.AggregationTest.client;
import static org.memsfl.fed.AggregationTest.doubles;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.junit.jupiter.api.Test;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraWeights;
import org.memsfl.model.LayerRange;

/**
 * FedMedian and FedTrimmedAvg against a plain-Java reference (sort each coordinate's values over the holders, take
 * the middle, or cut floor(beta n) per end and average), on tiny-llama with LoRA rank 2. Tolerance: one float32 ulp
 * of the reference, since both compute in doubles and round once to float32.
 */
class RobustAggregationTest {

    @Test
    void medianAndTrimmedMeanEqualThePerCoordinateReferenceAcrossCuts() {
        List<ClientUpdate> ups = List.of(client("a", 0, 10, QV, 1), client("b", 1, 20, QV, 2), client("c", 2, 5, QV, 3),
                client("d", 3, 7, QV, 4), client("e", 1, 1, QV, 5));
        try (AggregationResult med = new FedMedian().aggregate(ups);
             AggregationResult trim = new FedTrimmedAvg(0.2).aggregate(ups);
             AggregationResult trim0 = new FedTrimmedAvg(0.0).aggregate(ups.subList(0, 4))) {
            assertMatches(med.global(), reference(ups, 0, true));
            assertMatches(trim.global(), reference(ups, 1, false)); // floor(0.2 * 5) = 1 cut per end
            assertMatches(trim0.global(), reference(ups.subList(0, 4), 0, false)); // beta 0: unweighted mean
            // every client gets the robust values on both its sides
            assertMatches(med.client("b").deviceSide(), reference(ups, 0, true));
            assertMatches(med.client("b").serverSide(), reference(ups, 0, true));
            assertThat(med.strategy()).isEqualTo("fedmedian");
        }
    }

    @Test
    void evenCountMedianIsTheMeanOfTheTwoMiddleValues() {
        assertThat(FedMedian.median(new double[] {1, 2, 10, 50})).isEqualTo(6.0);
        assertThat(FedMedian.median(new double[] {-3, 4, 9})).isEqualTo(4.0);
        assertThat(new FedTrimmedAvg(0.25).trimmedMean(new double[] {-100, 1, 2, 3, 4, 100, 1e30, 1e30}))
                .isEqualTo((2 + 3 + 4 + 100) / 4.0);
    }

    /** One poisoner (values 1e30, claims 2^62 examples) among three honest clients: the median stays in their range. */
    @Test
    void aPoisonerWithHugeValuesAndClaimsCannotLeaveTheHonestRange() {
        List<ClientUpdate> honest = List.of(client("a", 1, 10, QV, 11), client("b", 1, 10, QV, 12), client("c", 2, 10, QV, 13));
        ClientUpdate evil = poisoned("z", 1, 1e30);
        List<ClientUpdate> all = new ArrayList<>(honest);
        all.add(evil);
        try (AggregationResult med = new FedMedian().aggregate(all);
             AggregationResult avg = new FedAvg().aggregate(all)) {
            Map<String, double[][]> lo = extreme(honest, true);
            Map<String, double[][]> hi = extreme(honest, false);
            med.global().asMap().forEach((k, w) -> {
                double[][] g = {doubles(w.a()), doubles(w.b())};
                for (int p = 0; p < 2; p++) {
                    for (int i = 0; i < g[p].length; i++) {
                        assertThat(g[p][i]).as("%s[%d]", k, i).isFinite()
                                .isBetween(lo.get(k)[p][i] - 1e-6, hi.get(k)[p][i] + 1e-6);
                    }
                }
            });
            // FedAvg, for contrast, takes the claim at face value and is dominated by the poisoner
            double maxAvg = avg.global().asMap().values().stream()
                    .mapToDouble(w -> Arrays.stream(doubles(w.a())).map(Math::abs).max().orElse(0)).max().orElse(0);
            assertThat(maxAvg).isGreaterThan(1e20);
        }
    }

    @Test
    void namesAndBadBetaAreReported() {
        assertThat(Aggregators.of("FedMedian")).isInstanceOf(FedMedian.class);
        assertThat(((FedTrimmedAvg) Aggregators.of("fedtrimmedavg")).beta()).isEqualTo(0.2);
        assertThat(((FedTrimmedAvg) Aggregators.of("fedtrimmedavg:0.1")).beta()).isEqualTo(0.1);
        assertThatThrownBy(() -> Aggregators.of("fedtrimmedavg:0.5")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 0.5)").hasMessageContaining("0.5");
        assertThatThrownBy(() -> Aggregators.of("fedtrimmedavg:x")).hasMessageContaining("'x'");
        assertThat(Aggregators.NAMES).contains("fedmedian", "fedtrimmedavg");
    }

    // ---- reference ---------------------------------------------------------------------------------------------

    static ClientUpdate poisoned(String id, int cut, double value) {
        AdapterSet full = AdapterSet.init(MODEL, QV, LayerRange.all(N), 99);
        try (NoGradGuard ng = new NoGradGuard()) {
            for (LoraWeights w : full.asMap().values()) {
                w.a().fill_(new Scalar(value));
                w.b().fill_(new Scalar(-value));
            }
        }
        return new ClientUpdate(id, cut, 1L << 62, full.slice(0, cut, true), full.slice(cut, N, false));
    }

    /** Key to {A, B}: per coordinate, the median ({@code median}) or the mean without {@code cut} values per end. */
    static Map<String, double[][]> reference(List<ClientUpdate> ups, int cut, boolean median) {
        Map<String, List<double[][]>> values = new LinkedHashMap<>();
        for (ClientUpdate u : ups) {
            u.full().asMap().forEach((k, w) -> values.computeIfAbsent(k, x -> new ArrayList<>())
                    .add(new double[][] {doubles(w.a()), doubles(w.b())}));
        }
        Map<String, double[][]> out = new LinkedHashMap<>();
        values.forEach((k, vs) -> {
            double[][] r = new double[2][];
            for (int p = 0; p < 2; p++) {
                int len = vs.get(0)[p].length;
                r[p] = new double[len];
                for (int j = 0; j < len; j++) {
                    double[] col = new double[vs.size()];
                    for (int i = 0; i < col.length; i++) {
                        col[i] = vs.get(i)[p][j];
                    }
                    Arrays.sort(col);
                    if (median) {
                        int n = col.length;
                        r[p][j] = n % 2 == 1 ? col[n / 2] : 0.5 * (col[n / 2 - 1] + col[n / 2]);
                    } else {
                        double s = 0;
                        for (int i = cut; i < col.length - cut; i++) {
                            s += col[i];
                        }
                        r[p][j] = s / (col.length - 2 * cut);
                    }
                }
            }
            out.put(k, r);
        });
        return out;
    }

    /** Per coordinate, the lowest ({@code min}) or highest honest value. */
    static Map<String, double[][]> extreme(List<ClientUpdate> ups, boolean min) {
        Map<String, double[][]> out = new LinkedHashMap<>();
        for (ClientUpdate u : ups) {
            u.full().asMap().forEach((k, w) -> {
                double[][] v = {doubles(w.a()), doubles(w.b())};
                double[][] cur = out.get(k);
                if (cur == null) {
                    out.put(k, v);
                    return;
                }
                for (int p = 0; p < 2; p++) {
                    for (int i = 0; i < v[p].length; i++) {
                        cur[p][i] = min ? Math.min(cur[p][i], v[p][i]) : Math.max(cur[p][i], v[p][i]);
                    }
                }
            });
        }
        return out;
    }

    static void assertMatches(AdapterSet got, Map<String, double[][]> expected) {
        assertThat(got.asMap()).isNotEmpty();
        got.asMap().forEach((k, w) -> {
            double[][] e = expected.get(k);
            double[][] g = {doubles(w.a()), doubles(w.b())};
            for (int p = 0; p < 2; p++) {
                assertThat(g[p]).hasSameSizeAs(e[p]);
                for (int i = 0; i < g[p].length; i++) {
                    assertThat(g[p][i]).as("%s %s[%d]", k, p == 0 ? "A" : "B", i)
                            .isCloseTo(e[p][i], within((double) Math.ulp((float) e[p][i])));
                }
            }
        });
    }
}
