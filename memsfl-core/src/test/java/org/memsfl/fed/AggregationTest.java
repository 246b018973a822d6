package org.memsfl.fed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraModules;
import org.memsfl.lora.LoraWeights;
import org.memsfl.model.LayerRange;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;

/**
 * Aggregation against plain-Java references on tiny-llama (N = 3 layers, dim 16, vocab 64), LoRA rank 2.
 *
 * <p>Tolerances: FedAvg and client-only are compared with a weighted mean computed in Java doubles and must match
 * within one float32 ulp of the reference (the strategy averages in float64 and rounds once to float32; the only
 * difference is float64 summation order, ~1e-17). A single client and client-only server sides must match bit for
 * bit. SVD results are float32 factors of a float64 computation: reproducing an exactly rank-r ΔW is checked to
 * 1e-5 relative in Frobenius norm; singular values against the mean's own to 1e-4 of the largest, and the
 * Eckart–Young residual ||M - BA||_F^2 = sum_{i>r} s_i^2 to 1e-4 of ||M||_F^2.
 */
class AggregationTest {

    static final ModelConfig MODEL = ModelPresets.get("tiny-llama");
    static final int N = MODEL.nLayers();
    static final LoraConfig QV = new LoraConfig(2, 4, 0, List.of("q", "v"));
    static final LoraConfig EQV = new LoraConfig(2, 4, 0, List.of("embed", "q", "v"));

    // ---- fedavg ------------------------------------------------------------------------------------------------

    @Test
    void fedavgEqualsHandComputedWeightedMeanAcrossDifferentCuts() {
        // a: layer 1 and 2 on the server; b: layer 1 on the device, 2 on the server; c: everything on the device
        List<ClientUpdate> ups = List.of(client("a", 1, 10, EQV, 1), client("b", 2, 30, EQV, 2), client("c", 3, 60, EQV, 3));
        try (AggregationResult r = Aggregators.of("fedavg").aggregate(ups)) {
            assertThat(r.strategy()).isEqualTo("fedavg");
            assertThat(r.weights()).containsExactly(Map.entry("a", 0.1), Map.entry("b", 0.3), Map.entry("c", 0.6));
            for (ClientUpdate u : ups) {
                ClientAdapters got = r.client(u.clientId());
                assertThat(got.deviceSide().asMap().keySet()).containsExactlyElementsOf(u.deviceSide().asMap().keySet());
                assertThat(got.serverSide().asMap().keySet()).containsExactlyElementsOf(u.serverSide().asMap().keySet());
                assertThat(keysIn(got.deviceSide())).allMatch(l -> l < u.cut());
                assertThat(keysIn(got.serverSide())).allMatch(l -> l >= u.cut());
                assertMatches(got.full(), handMean(ups, null), "client " + u.clientId());
            }
            assertThat(r.client("a").serverSide().get(2, "q")).isNotNull();
            assertThat(r.client("c").deviceSide().get(2, "q")).isNotNull();
            assertThat(r.global().asMap().keySet()).hasSize(1 + 2 * N);
            assertMatches(r.global(), handMean(ups, null), "global");
        }
    }

    @Test
    void fedavgAveragesAKeyOverTheClientsHoldingItOnly() {
        LoraConfig qOnly = new LoraConfig(2, 4, 0, List.of("q"));
        List<ClientUpdate> ups = List.of(client("a", 1, 10, QV, 1), client("b", 2, 30, QV, 2), client("d", 2, 50, qOnly, 4));
        try (AggregationResult r = new FedAvg().aggregate(ups)) {
            Map<String, double[][]> expected = handMean(ups, null);
            // v is averaged over a and b with weights 10/40 and 30/40; q over all three with 10/90, 30/90, 50/90
            double[] va = doubles(ups.get(0).full().get(1, "v").a());
            double[] vb = doubles(ups.get(1).full().get(1, "v").a());
            assertThat(expected.get("layers.1.v")[0][3]).isCloseTo(0.25 * va[3] + 0.75 * vb[3], within(1e-15));
            assertMatches(r.global(), expected, "global");
            assertThat(r.client("d").full().asMap().keySet()).containsExactly("layers.0.q", "layers.1.q", "layers.2.q");
            assertMatches(r.client("d").full(), expected, "client d");
            assertMatches(r.client("a").full(), expected, "client a");
        }
    }

    @Test
    void weightsRenormaliseOverTheClientsPresent() {
        ClientUpdate a = client("a", 1, 10, QV, 1);
        ClientUpdate b = client("b", 2, 30, QV, 2);
        ClientUpdate c = client("c", 3, 60, QV, 3);
        // b dropped out of the round: it is simply absent
        try (AggregationResult r = new FedAvg().aggregate(List.of(a, c))) {
            assertThat(r.weights()).containsOnlyKeys("a", "c");
            assertThat(r.weights().get("a")).isCloseTo(10.0 / 70, within(1e-15));
            assertThat(r.weights().get("c")).isCloseTo(60.0 / 70, within(1e-15));
            double[] qa = doubles(a.full().get(2, "q").b());
            double[] qc = doubles(c.full().get(2, "q").b());
            double[] got = doubles(r.client("a").serverSide().get(2, "q").b());
            for (int i = 0; i < got.length; i++) {
                double e = (10.0 / 70) * qa[i] + (60.0 / 70) * qc[i];
                assertThat(got[i]).isCloseTo(e, within((double) Math.ulp((float) e)));
            }
            assertMatches(r.global(), handMean(List.of(a, c), null), "global");
            assertThatThrownBy(() -> r.client("b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("b");
        }
        try (AggregationResult r = new ClientOnlyAvg().aggregate(List.of(a, c))) {
            assertMatches(r.client("c").deviceSide(), handMean(List.of(a, c), true), "client-only device side");
        }
    }

    @Test
    void singleClientComesBack() {
        ClientUpdate a = client("a", 2, 7, EQV, 5);
        try (AggregationResult r = new FedAvg().aggregate(List.of(a))) {
            assertBitIdentical(r.client("a").deviceSide(), a.deviceSide());
            assertBitIdentical(r.client("a").serverSide(), a.serverSide());
            assertBitIdentical(r.global(), a.full());
        }
        try (AggregationResult r = new ClientOnlyAvg().aggregate(List.of(a))) {
            assertBitIdentical(r.client("a").full(), a.full());
            assertBitIdentical(r.global(), a.full());
        }
        try (AggregationResult r = new SvdAggregation().aggregate(List.of(a))) {
            for (Map.Entry<String, LoraWeights> e : a.full().asMap().entrySet()) {
                assertThat(relFrob(product(r.client("a").full().asMap().get(e.getKey())), product(e.getValue())))
                        .as(e.getKey()).isLessThan(1e-5);
            }
        }
    }

    @Test
    void resultsAreFreshFloat32LeavesSharedWithNothing() {
        ClientUpdate a = client("a", 1, 10, QV, 1);
        AdapterSet f64 = randomised(AdapterSet.init(MODEL, QV, LayerRange.all(N), 2), 102).to(DType.F64);
        ClientUpdate b = new ClientUpdate("b", 2, 30, f64.slice(0, 2, true), f64.slice(2, N, false)); // float64 input
        for (String name : Aggregators.NAMES) {
            try (AggregationResult r = Aggregators.of(name).aggregate(List.of(a, b))) {
                List<Tensor> all = new ArrayList<>(r.global().parameters());
                r.clients().values().forEach(c -> all.addAll(c.full().parameters()));
                for (Tensor t : all) {
                    assertThat(DType.of(t.scalar_type())).as(name).isEqualTo(DType.F32);
                    assertThat(t.requires_grad()).as(name).isTrue();
                    assertThat(t.is_leaf()).as(name).isTrue();
                }
                // no two result tensors alias, and none aliases an input
                List<Long> ptrs = new ArrayList<>();
                all.forEach(t -> ptrs.add(t.data_ptr().address()));
                a.full().parameters().forEach(t -> ptrs.add(t.data_ptr().address()));
                b.full().parameters().forEach(t -> ptrs.add(t.data_ptr().address()));
                assertThat(new TreeSet<>(ptrs)).as(name).hasSize(ptrs.size());
            }
        }
    }

    @Test
    void assignToCopiesIntoTheLiveTensors() {
        ClientUpdate a = client("a", 1, 10, QV, 1);
        ClientUpdate b = client("b", 2, 30, QV, 2);
        List<ClientUpdate> ups = List.of(a, b);
        Map<String, double[][]> expected = handMean(ups, null);
        Tensor liveA = a.serverSide().get(1, "q").a();
        long ptr = liveA.data_ptr().address();
        try (AggregationResult r = new FedAvg().aggregate(ups)) {
            r.assignTo(a);
            r.assignTo(b);
        }
        assertThat(a.serverSide().get(1, "q").a().data_ptr().address()).isEqualTo(ptr);
        assertThat(liveA.requires_grad()).isTrue();
        assertMatches(a.full(), expected, "live a");
        assertMatches(b.full(), expected, "live b");
    }

    @Test
    void resultDoesNotDependOnUpdateOrder() {
        ClientUpdate a = client("a", 1, 10, QV, 1);
        ClientUpdate b = client("b", 2, 30, QV, 2);
        ClientUpdate c = client("c", 3, 60, QV, 3);
        for (String name : Aggregators.NAMES) {
            try (AggregationResult x = Aggregators.of(name).aggregate(List.of(a, b, c));
                 AggregationResult y = Aggregators.of(name).aggregate(List.of(c, a, b))) {
                assertBitIdentical(x.global(), y.global());
                assertThat(y.clients().keySet()).containsExactly("c", "a", "b");
            }
        }
    }

    // ---- client-only -------------------------------------------------------------------------------------------

    @Test
    void clientOnlyAveragesDeviceSidesAndLeavesServerSidesBitIdentical() {
        List<ClientUpdate> ups = List.of(client("a", 1, 10, EQV, 1), client("b", 2, 30, EQV, 2), client("c", 3, 60, EQV, 3));
        Map<String, double[][]> deviceMean = handMean(ups, true);
        Map<String, double[][]> serverMean = handMean(ups, false);
        try (AggregationResult r = Aggregators.of("client-only").aggregate(ups)) {
            for (ClientUpdate u : ups) {
                ClientAdapters got = r.client(u.clientId());
                assertThat(got.deviceSide().asMap().keySet()).containsExactlyElementsOf(u.deviceSide().asMap().keySet());
                assertBitIdentical(got.serverSide(), u.serverSide());
                assertMatches(got.deviceSide(), deviceMean, "device side of " + u.clientId());
            }
            // layer 1 lives on b's and c's devices (averaged 30:60) and on a's server side (kept)
            assertThat(deviceMean.get("layers.1.q")[1][0]).isCloseTo(
                    (30 * doubles(ups.get(1).full().get(1, "q").b())[0] + 60 * doubles(ups.get(2).full().get(1, "q").b())[0]) / 90,
                    within(1e-15));
            // global: device-side average where any device holds the key; here every layer is on c's device
            assertMatches(r.global(), deviceMean, "global");
            assertThat(r.global().asMap().keySet()).hasSize(1 + 2 * N);
        }
        // with a common cut, server-only keys take the weighted server-side average in the global set
        List<ClientUpdate> same = List.of(client("a", 1, 10, QV, 1), client("b", 1, 30, QV, 2));
        try (AggregationResult r = new ClientOnlyAvg().aggregate(same)) {
            Map<String, double[][]> srv = handMean(same, false);
            assertMatches(r.global().slice(1, N, false), srv, "global server-only keys");
            assertMatches(r.global().slice(0, 1, true), handMean(same, true), "global device keys");
            assertBitIdentical(r.client("a").serverSide(), same.get(0).serverSide());
            assertBitIdentical(r.client("b").serverSide(), same.get(1).serverSide());
        }
        assertThat(serverMean).isNotEmpty();
    }

    // ---- svd ---------------------------------------------------------------------------------------------------

    @Test
    void svdOfIdenticalClientsReproducesTheirDeltaW() {
        AdapterSet shared = randomised(AdapterSet.init(MODEL, EQV, LayerRange.all(N), 9), 19);
        List<ClientUpdate> ups = new ArrayList<>();
        int[] cuts = {1, 2, 3};
        for (int i = 0; i < 3; i++) {
            AdapterSet copy = shared.copy();
            ups.add(new ClientUpdate("c" + i, cuts[i], 10L * (i + 1), copy.slice(0, cuts[i], true), copy.slice(cuts[i], N, false)));
        }
        try (AggregationResult r = Aggregators.of("svd").aggregate(ups)) {
            for (ClientUpdate u : ups) {
                AdapterSet got = r.client(u.clientId()).full();
                assertThat(got.asMap().keySet()).containsExactlyElementsOf(shared.asMap().keySet());
                for (Map.Entry<String, LoraWeights> e : shared.asMap().entrySet()) {
                    assertThat(relFrob(product(got.asMap().get(e.getKey())), product(e.getValue())))
                            .as("%s %s", u.clientId(), e.getKey()).isLessThan(1e-5);
                }
            }
        }
    }

    @Test
    void svdGivesTheBestRankRApproximationOfTheWeightedMeanDeltaW() {
        List<ClientUpdate> ups = List.of(client("a", 1, 10, EQV, 1), client("b", 2, 30, EQV, 2), client("c", 3, 60, EQV, 3));
        int rank = EQV.rank();
        try (AggregationResult r = new SvdAggregation().aggregate(ups)) {
            for (String key : r.global().asMap().keySet()) {
                // independent reference: the weighted mean of B_u A_u in Java doubles
                double[][] mean = null;
                double total = 0;
                for (ClientUpdate u : ups) {
                    total += u.numExamples();
                }
                for (ClientUpdate u : ups) {
                    double[][] p = product(u.full().asMap().get(key));
                    if (mean == null) {
                        mean = new double[p.length][p[0].length];
                    }
                    for (int i = 0; i < p.length; i++) {
                        for (int j = 0; j < p[0].length; j++) {
                            mean[i][j] += u.numExamples() / total * p[i][j];
                        }
                    }
                }
                double[] sMean = singularValues(mean);
                double frob2 = 0;
                for (double[] row : mean) {
                    for (double x : row) {
                        frob2 += x * x;
                    }
                }
                double sumSq = Arrays.stream(sMean).map(x -> x * x).sum();
                assertThat(sumSq).as("%s: svdvals consistent with ||M||_F", key).isCloseTo(frob2, within(1e-10 * frob2));
                assertThat(sMean[rank]).as("%s: mean of three rank-2 updates exceeds rank 2", key).isGreaterThan(1e-3 * sMean[0]);
                for (ClientUpdate u : ups) {
                    double[][] got = product(r.client(u.clientId()).full().asMap().get(key));
                    double[] sGot = singularValues(got);
                    for (int i = 0; i < rank; i++) {
                        assertThat(sGot[i]).as("%s %s s%d", u.clientId(), key, i).isCloseTo(sMean[i], within(1e-4 * sMean[0]));
                    }
                    assertThat(sGot[rank]).as("%s rank <= r", key).isLessThan(1e-5 * sMean[0]);
                    double resid = 0;
                    for (int i = 0; i < got.length; i++) {
                        for (int j = 0; j < got[0].length; j++) {
                            resid += (mean[i][j] - got[i][j]) * (mean[i][j] - got[i][j]);
                        }
                    }
                    double tail = 0;
                    for (int i = rank; i < sMean.length; i++) {
                        tail += sMean[i] * sMean[i];
                    }
                    assertThat(resid).as("%s Eckart-Young residual", key).isCloseTo(tail, within(1e-4 * frob2));
                }
            }
            // the factors are the balanced split B = U sqrt(S), A = sqrt(S) V^T: B^T B = A A^T = diag(S_r)
            for (Map.Entry<String, LoraWeights> e : r.global().asMap().entrySet()) {
                double[][] b = matrix(e.getValue().b());
                double[][] a = matrix(e.getValue().a());
                double[] s = singularValues(product(e.getValue()));
                for (int i = 0; i < rank; i++) {
                    for (int j = 0; j < rank; j++) {
                        double btb = 0;
                        for (double[] row : b) {
                            btb += row[i] * row[j];
                        }
                        double aat = 0;
                        for (int k = 0; k < a[0].length; k++) {
                            aat += a[i][k] * a[j][k];
                        }
                        double want = i == j ? s[i] : 0;
                        assertThat(btb).as("%s B^T B[%d,%d]", e.getKey(), i, j).isCloseTo(want, within(1e-5 * s[0]));
                        assertThat(aat).as("%s A A^T[%d,%d]", e.getKey(), i, j).isCloseTo(want, within(1e-5 * s[0]));
                    }
                }
            }
            // everyone got the same factors
            assertBitIdentical(r.client("a").full(), r.client("c").full());
            assertBitIdentical(r.client("b").full(), r.global());
        }
    }

    @Test
    void svdOfAZeroUpdateKeepsEveryDirectionTrainable() {
        // freshly initialised adapters: B = 0 (q, v), so every product is zero
        AdapterSet x = AdapterSet.init(MODEL, QV, LayerRange.all(N), 1);
        AdapterSet y = AdapterSet.init(MODEL, QV, LayerRange.all(N), 2);
        List<ClientUpdate> ups = List.of(new ClientUpdate("x", 1, 5, x.slice(0, 1, true), x.slice(1, N, false)),
                new ClientUpdate("y", 2, 5, y.slice(0, 2, true), y.slice(2, N, false)));
        try (AggregationResult r = new SvdAggregation().aggregate(ups)) {
            for (LoraWeights w : r.global().asMap().values()) {
                assertThat(doubles(w.b())).containsOnly(0.0);
                double[][] a = matrix(w.a());
                for (double[] row : a) {
                    assertThat(Math.sqrt(Arrays.stream(row).map(v -> v * v).sum())).isCloseTo(1.0, within(1e-6));
                }
            }
        }
    }

    // ---- validation --------------------------------------------------------------------------------------------

    @Test
    void rejectsBadInputsWithClearMessages() {
        AdapterSet full = AdapterSet.init(MODEL, QV, LayerRange.all(N), 1);
        AdapterSet empty = full.slice(0, 0, false);
        assertThatThrownBy(() -> new ClientUpdate("a", 1, 0, full.slice(0, 1, true), full.slice(1, N, false)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("numExamples");
        assertThatThrownBy(() -> new ClientUpdate("a", 1, 5, full.slice(0, 2, true), full.slice(2, N, false)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layers.1.q").hasMessageContaining("cut 1");
        assertThatThrownBy(() -> new ClientUpdate("a", 2, 5, full.slice(0, 1, true), full.slice(1, N, false)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("below its cut");
        AdapterSet withEmbed = AdapterSet.init(MODEL, EQV, LayerRange.all(N), 1);
        assertThatThrownBy(() -> new ClientUpdate("a", 0, 5, empty, withEmbed))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("embed");
        assertThatThrownBy(() -> new ClientUpdate(" ", 1, 5, empty, empty)).isInstanceOf(IllegalArgumentException.class);

        assertThatThrownBy(() -> new FedAvg().aggregate(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
        ClientUpdate a = client("a", 1, 10, QV, 1);
        assertThatThrownBy(() -> new FedAvg().aggregate(List.of(a, client("a", 2, 10, QV, 2))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        LoraConfig rank4 = new LoraConfig(4, 4, 0, List.of("q", "v"));
        assertThatThrownBy(() -> new SvdAggregation().aggregate(List.of(a, client("b", 2, 10, rank4, 2))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank");

        assertThat(Aggregators.NAMES).containsExactly("fedavg", "client-only", "svd", "fedmedian", "fedtrimmedavg");
        assertThat(Aggregators.defaultStrategy().name()).isEqualTo("fedavg");
        assertThat(Aggregators.of(" SVD ").name()).isEqualTo("svd");
        assertThat(Aggregators.of("client-only")).isInstanceOf(ClientOnlyAvg.class);
        assertThatThrownBy(() -> Aggregators.of("fedprox"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'fedprox'").hasMessageContaining("fedavg, client-only, svd");
        assertThatThrownBy(() -> Aggregators.of(null)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    static ClientUpdate client(String id, int cut, long n, LoraConfig cfg, long seed) {
        AdapterSet full = randomised(AdapterSet.init(MODEL, cfg, LayerRange.all(N), seed), seed + 100);
        return new ClientUpdate(id, cut, n, full.slice(0, cut, true), full.slice(cut, N, false));
    }

    static AdapterSet randomised(AdapterSet a, long seed) {
        return org.memsfl.lora.LoraGradientTestSupport.randomised(a, seed);
    }

    /**
     * Key to {A values, B values}: the numExamples-weighted mean over the clients holding the key on the device
     * side ({@code device = true}), the server side ({@code false}) or either ({@code null}), in Java doubles.
     */
    static Map<String, double[][]> handMean(List<ClientUpdate> ups, Boolean device) {
        Map<String, List<ClientUpdate>> holders = new LinkedHashMap<>();
        Map<String, List<LoraWeights>> values = new LinkedHashMap<>();
        for (ClientUpdate u : ups) {
            AdapterSet side = device == null ? u.full() : device ? u.deviceSide() : u.serverSide();
            side.asMap().forEach((k, w) -> {
                holders.computeIfAbsent(k, x -> new ArrayList<>()).add(u);
                values.computeIfAbsent(k, x -> new ArrayList<>()).add(w);
            });
        }
        Map<String, double[][]> out = new LinkedHashMap<>();
        holders.forEach((k, hs) -> {
            double total = hs.stream().mapToLong(ClientUpdate::numExamples).sum();
            double[][] m = null;
            for (int i = 0; i < hs.size(); i++) {
                double w = hs.get(i).numExamples() / total;
                double[] a = doubles(values.get(k).get(i).a());
                double[] b = doubles(values.get(k).get(i).b());
                if (m == null) {
                    m = new double[][] {new double[a.length], new double[b.length]};
                }
                for (int j = 0; j < a.length; j++) {
                    m[0][j] += w * a[j];
                }
                for (int j = 0; j < b.length; j++) {
                    m[1][j] += w * b[j];
                }
            }
            out.put(k, m);
        });
        return out;
    }

    /** Every key of {@code got} equals the reference within one float32 ulp. */
    static void assertMatches(AdapterSet got, Map<String, double[][]> expected, String what) {
        got.asMap().forEach((k, w) -> {
            double[][] e = expected.get(k);
            assertThat(e).as("%s: reference lacks %s", what, k).isNotNull();
            double[][] g = {doubles(w.a()), doubles(w.b())};
            for (int p = 0; p < 2; p++) {
                assertThat(g[p]).hasSameSizeAs(e[p]);
                for (int i = 0; i < g[p].length; i++) {
                    assertThat(g[p][i]).as("%s %s %s[%d]", what, k, p == 0 ? "A" : "B", i)
                            .isCloseTo(e[p][i], within((double) Math.ulp((float) e[p][i])));
                }
            }
        });
    }

    static void assertBitIdentical(AdapterSet got, AdapterSet expected) {
        assertThat(got.asMap().keySet()).containsExactlyElementsOf(expected.asMap().keySet());
        expected.asMap().forEach((k, w) -> {
            assertThat(Tensors.toFloats(got.asMap().get(k).a())).as(k + " A").containsExactly(Tensors.toFloats(w.a()));
            assertThat(Tensors.toFloats(got.asMap().get(k).b())).as(k + " B").containsExactly(Tensors.toFloats(w.b()));
        });
    }

    static Iterable<Integer> keysIn(AdapterSet s) {
        List<Integer> layers = new ArrayList<>();
        s.asMap().keySet().forEach(k -> layers.add(LoraModules.layerOf(k)));
        return layers;
    }

    static double[] doubles(Tensor t) {
        try (NoGradGuard ng = new NoGradGuard()) {
            return Tensors.toDoubles(t.detach());
        }
    }

    static double[][] matrix(Tensor t) {
        long[] s = Tensors.shape(t);
        double[] flat = doubles(t);
        double[][] m = new double[(int) s[0]][(int) s[1]];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(flat, i * m[0].length, m[i], 0, m[0].length);
        }
        return m;
    }

    /** B A in Java doubles. */
    static double[][] product(LoraWeights w) {
        double[][] b = matrix(w.b());
        double[][] a = matrix(w.a());
        double[][] p = new double[b.length][a[0].length];
        for (int i = 0; i < b.length; i++) {
            for (int k = 0; k < a.length; k++) {
                for (int j = 0; j < a[0].length; j++) {
                    p[i][j] += b[i][k] * a[k][j];
                }
            }
        }
        return p;
    }

    static double relFrob(double[][] got, double[][] ref) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            for (int j = 0; j < ref[0].length; j++) {
                num += (got[i][j] - ref[i][j]) * (got[i][j] - ref[i][j]);
                den += ref[i][j] * ref[i][j];
            }
        }
        return Math.sqrt(num / den);
    }

    static double[] singularValues(double[][] m) {
        double[] flat = new double[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, flat, i * m[0].length, m[0].length);
        }
        try (NoGradGuard ng = new NoGradGuard()) {
            return Tensors.toDoubles(torch.linalg_svdvals(Tensors.fromDoubles(flat, m.length, m[0].length), new StringViewOptional()));
        }
    }
}
