package org.memsfl.data;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.memsfl.util.BadInputException;

class PartitionerTest {

    private static final List<Example> DOLLY = DollyLoader.read(Assets.path(DollyLoader.RELATIVE_DIR));

    /** 10 keys x 300 examples, as a clean label-skew testbed. */
    private static final List<Example> KEYED = IntStream.range(0, 3000)
            .mapToObj(i -> new Example("p" + i, "r" + i, "key" + (i % 10))).toList();

    private static void assertEachExampleOnce(List<Example> data, List<List<Example>> parts) {
        Map<Example, Integer> count = new IdentityHashMap<>();
        parts.forEach(p -> p.forEach(e -> count.merge(e, 1, Integer::sum)));
        assertThat(count).hasSize(data.size());
        assertThat(count.values()).allMatch(c -> c == 1);
        assertThat(data).allMatch(count::containsKey);
        assertThat(parts).allMatch(p -> !p.isEmpty());
    }

    @Test
    void naturalKeyOnDollyGivesTheEightCategories() {
        List<List<Example>> parts = new NaturalKeyPartitioner().partition(DOLLY, 8, 0);
        assertEachExampleOnce(DOLLY, parts);
        assertThat(parts).extracting(List::size)
                .containsExactly(1766, 2136, 1773, 709, 2191, 1506, 3742, 1188);
        assertThat(parts).allMatch(p -> p.stream().map(Example::clientKey).distinct().count() == 1);
        assertThat(parts.get(0).get(0).clientKey()).isEqualTo("brainstorming");
    }

    @Test
    void naturalKeyBalancesWhenKeysOutnumberClients() {
        List<List<Example>> parts = new NaturalKeyPartitioner().partition(DOLLY, 3, 0);
        assertEachExampleOnce(DOLLY, parts);
        // greedy largest-first: no key is split, and sizes stay within the largest key (3742) of each other
        List<Set<String>> keys = parts.stream()
                .map(p -> p.stream().map(Example::clientKey).collect(Collectors.toSet())).toList();
        assertThat(keys.get(0)).doesNotContainAnyElementsOf(keys.get(1)).doesNotContainAnyElementsOf(keys.get(2));
        assertThat(keys.get(1)).doesNotContainAnyElementsOf(keys.get(2));
        int max = parts.stream().mapToInt(List::size).max().orElseThrow();
        int min = parts.stream().mapToInt(List::size).min().orElseThrow();
        assertThat(max - min).isLessThan(1000);
    }

    @Test
    void naturalKeyWithTooFewKeysExplains() {
        assertThatThrownBy(() -> new NaturalKeyPartitioner().partition(DOLLY, 9, 0))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("needs at least 9 distinct client keys")
                .hasMessageContaining("has 8")
                .hasMessageContaining("iid/dirichlet");
    }

    @Test
    void iidIsSeededAndBalanced() {
        IidPartitioner iid = new IidPartitioner();
        List<List<Example>> a = iid.partition(DOLLY, 7, 3);
        assertThat(a).isEqualTo(iid.partition(DOLLY, 7, 3));
        assertThat(a).isNotEqualTo(iid.partition(DOLLY, 7, 4));
        assertEachExampleOnce(DOLLY, a);
        assertThat(a).allMatch(p -> p.size() == 2144 || p.size() == 2145);
    }

    @Test
    void dirichletIsSeededAndCoversEverything() {
        DirichletPartitioner d = new DirichletPartitioner(0.5);
        List<List<Example>> a = d.partition(KEYED, 10, 11);
        assertThat(a).isEqualTo(d.partition(KEYED, 10, 11));
        assertThat(a).isNotEqualTo(d.partition(KEYED, 10, 12));
        assertEachExampleOnce(KEYED, a);
    }

    /** Mean over keys of the largest share of that key held by a single client. */
    private static double meanMaxShare(List<List<Example>> parts) {
        return IntStream.range(0, 10).mapToDouble(k -> {
            String key = "key" + k;
            long total = parts.stream().mapToLong(p -> p.stream().filter(e -> e.clientKey().equals(key)).count())
                    .sum();
            long most = parts.stream().mapToLong(p -> p.stream().filter(e -> e.clientKey().equals(key)).count())
                    .max().orElseThrow();
            return (double) most / total;
        }).average().orElseThrow();
    }

    @Test
    void alphaControlsSkew() {
        List<List<Example>> flat = new DirichletPartitioner(100).partition(KEYED, 10, 1);
        List<List<Example>> skewed = new DirichletPartitioner(0.05).partition(KEYED, 10, 1);
        assertEachExampleOnce(KEYED, flat);
        assertEachExampleOnce(KEYED, skewed);
        // uniform would be 0.1 per client; Dir(100) over 10 clients has sd ~0.01 per share
        assertThat(meanMaxShare(flat)).isLessThan(0.16);
        assertThat(flat).allMatch(p -> p.size() > 200 && p.size() < 400);
        // Dir(0.05) puts most of each key on one client
        assertThat(meanMaxShare(skewed)).isGreaterThan(0.6);
    }

    @Test
    void everyClientGetsAnExampleEvenWhenAlphaIsTiny() {
        List<Example> few = KEYED.subList(0, 40);
        for (long seed = 0; seed < 20; seed++) {
            List<List<Example>> parts = new DirichletPartitioner(0.01).partition(few, 12, seed);
            assertEachExampleOnce(few, parts);
        }
        assertThatThrownBy(() -> new IidPartitioner().partition(few, 41, 0))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("41 clients");
    }

    @Test
    void gammaHasTheRightMoments() {
        SplittableRandom rng = new SplittableRandom(5);
        for (double shape : new double[] {0.05, 0.5, 1, 2.5, 30}) {
            int n = 200_000;
            double sum = 0;
            double sumSq = 0;
            for (int i = 0; i < n; i++) {
                double x = Gamma.sample(rng, shape);
                sum += x;
                sumSq += x * x;
            }
            double mean = sum / n;
            double var = sumSq / n - mean * mean;
            // Gamma(k, 1): mean k, variance k
            assertThat(mean).as("mean, shape %s", shape).isCloseTo(shape, org.assertj.core.data.Offset.offset(
                    5 * Math.sqrt(shape / n)));
            assertThat(var).as("variance, shape %s", shape).isCloseTo(shape, org.assertj.core.data.Percentage
                    .withPercentage(shape < 0.1 ? 25 : 5));
        }
        double[] p = Gamma.dirichlet(rng, 0.05, 50);
        assertThat(java.util.Arrays.stream(p).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void partitionerSpecs() {
        assertThat(Partitioner.of("natural")).isInstanceOf(NaturalKeyPartitioner.class);
        assertThat(Partitioner.of("IID")).isInstanceOf(IidPartitioner.class);
        assertThat(((DirichletPartitioner) Partitioner.of("dirichlet:0.3")).alpha()).isEqualTo(0.3);
        assertThatThrownBy(() -> Partitioner.of("dirichlet:-1")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("alpha");
        assertThatThrownBy(() -> Partitioner.of("zipf")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("'zipf'");
        assertThatThrownBy(() -> new DirichletPartitioner(0)).hasMessage("alpha must be > 0 and finite, got 0.0");
    }
}
