package org.memsfl.fed;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.LoraWeights;

/**
 * Shared body of the coordinate-wise robust strategies ({@link FedMedian}, {@link FedTrimmedAvg}): for every adapter
 * key, each coordinate of A and of B is reduced separately over the clients holding that key (either side), ignoring
 * {@code numExamples}, as Flower's strategies of the same names do. Ignoring the weights is the point: a client that
 * claims a huge {@code num_examples} or uploads huge values moves a median not at all and a trimmed mean by at most
 * its share of the kept values. Computed in Java doubles (adapters are small: rank x width per key), then rounded once
 * to float32.
 */
final class CoordinateWise {

    private CoordinateWise() {
    }

    /** Aggregates with {@code reduce}, which receives one coordinate's values over the holders, sorted ascending. */
    static AggregationResult aggregate(String name, List<ClientUpdate> updates, ToDoubleFunction<double[]> reduce) {
        AggregationInputs in = AggregationInputs.of(updates);
        try (NoGradGuard ng = new NoGradGuard(); NativeScope scope = new NativeScope()) {
            Map<String, LoraWeights> out = new TreeMap<>();
            in.holders(true, true).forEach((k, hs) -> {
                Tensor a = reduce(hs.stream().map(h -> h.weights().a()).toList(), reduce);
                Tensor b = reduce(hs.stream().map(h -> h.weights().b()).toList(), reduce);
                out.put(k, new LoraWeights(a, b));
            });
            return in.assemble(scope, name, out, out, out);
        }
    }

    private static Tensor reduce(List<Tensor> ts, ToDoubleFunction<double[]> reduce) {
        double[][] v = new double[ts.size()][];
        for (int i = 0; i < v.length; i++) {
            v[i] = Tensors.toDoubles(ts.get(i).detach());
        }
        double[] out = new double[v[0].length];
        double[] column = new double[v.length];
        for (int j = 0; j < out.length; j++) {
            for (int i = 0; i < v.length; i++) {
                column[i] = v[i][j];
            }
            Arrays.sort(column);
            out[j] = reduce.applyAsDouble(column);
        }
        return Tensors.fromDoubles(out, Tensors.shape(ts.get(0)));
    }
}
