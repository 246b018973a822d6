package org.memsfl.fed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraWeights;

/**
 * Validated inputs of one aggregation and the plumbing the strategies share: who holds each key, the renormalised
 * weights, weighted means in float64, and the assembly of fresh float32 results. Sums run in client-id order so the
 * result does not depend on the order in which updates arrived.
 */
final class AggregationInputs {

    /** One client's adapter for one key. */
    record Holder(ClientUpdate client, LoraWeights weights) {
    }

    final List<ClientUpdate> updates;
    final LoraConfig config;
    private final List<ClientUpdate> ordered;

    private AggregationInputs(List<ClientUpdate> updates) {
        this.updates = List.copyOf(updates);
        this.config = updates.get(0).config();
        List<ClientUpdate> o = new ArrayList<>(updates);
        o.sort(Comparator.comparing(ClientUpdate::clientId));
        this.ordered = List.copyOf(o);
    }

    static AggregationInputs of(List<ClientUpdate> updates) {
        if (updates == null || updates.isEmpty()) {
            throw new IllegalArgumentException("aggregation needs at least one client update");
        }
        Set<String> ids = new HashSet<>();
        LoraConfig first = null;
        String firstId = null;
        Map<String, long[][]> shapes = new TreeMap<>();
        Map<String, String> shapeOwner = new TreeMap<>();
        for (ClientUpdate u : updates) {
            if (u == null) {
                throw new IllegalArgumentException("client update list contains null");
            }
            if (!ids.add(u.clientId())) {
                throw new IllegalArgumentException("client id '" + u.clientId() + "' appears twice in one aggregation");
            }
            LoraConfig c = u.config();
            if (first == null) {
                first = c;
                firstId = u.clientId();
            } else if (c.rank() != first.rank() || c.alpha() != first.alpha()) {
                throw new IllegalArgumentException("clients must share LoRA rank and alpha: " + firstId + " has rank "
                        + first.rank() + " alpha " + first.alpha() + ", " + u.clientId() + " has rank " + c.rank()
                        + " alpha " + c.alpha());
            }
            for (AdapterSet side : List.of(u.deviceSide(), u.serverSide())) {
                side.asMap().forEach((k, w) -> {
                    long[][] s = {Tensors.shape(w.a()), Tensors.shape(w.b())};
                    long[][] prev = shapes.putIfAbsent(k, s);
                    if (prev != null && !(Arrays.equals(prev[0], s[0]) && Arrays.equals(prev[1], s[1]))) {
                        throw new IllegalArgumentException("adapter " + k + " has A " + Arrays.toString(s[0]) + ", B "
                                + Arrays.toString(s[1]) + " at client " + u.clientId() + " but A "
                                + Arrays.toString(prev[0]) + ", B " + Arrays.toString(prev[1]) + " at client "
                                + shapeOwner.get(k));
                    }
                    shapeOwner.putIfAbsent(k, u.clientId());
                });
            }
        }
        return new AggregationInputs(updates);
    }

    /** Each client's share of all examples present, in update order. */
    Map<String, Double> shares() {
        double total = 0;
        for (ClientUpdate u : ordered) {
            total += u.numExamples();
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (ClientUpdate u : updates) {
            out.put(u.clientId(), u.numExamples() / total);
        }
        return out;
    }

    /** Key to the clients holding it on the chosen side(s), in client-id order. */
    Map<String, List<Holder>> holders(boolean deviceSide, boolean serverSide) {
        Map<String, List<Holder>> out = new TreeMap<>();
        for (ClientUpdate u : ordered) {
            if (deviceSide) {
                u.deviceSide().asMap().forEach((k, w) -> out.computeIfAbsent(k, x -> new ArrayList<>()).add(new Holder(u, w)));
            }
            if (serverSide) {
                u.serverSide().asMap().forEach((k, w) -> out.computeIfAbsent(k, x -> new ArrayList<>()).add(new Holder(u, w)));
            }
        }
        return out;
    }

    /** {@code numExamples} of each holder over the holders' total: the weights renormalise over whoever is present. */
    static double[] weights(List<Holder> holders) {
        double total = 0;
        for (Holder h : holders) {
            total += h.client().numExamples();
        }
        double[] w = new double[holders.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = holders.get(i).client().numExamples() / total;
        }
        return w;
    }

    /** {@code sum_i w_i t_i} in float64 (a temporary of the enclosing scope). */
    static Tensor weightedSum(List<Tensor> tensors, double[] w) {
        Tensor acc = null;
        for (int i = 0; i < w.length; i++) {
            Tensor term = tensors.get(i).detach().to(torch.ScalarType.Double).mul(new Scalar(w[i]));
            acc = acc == null ? term : acc.add(term);
        }
        return acc;
    }

    /** Weighted mean of A and of B over the holders, float64 temporaries. */
    static LoraWeights meanOf(List<Holder> holders) {
        double[] w = weights(holders);
        List<Tensor> as = new ArrayList<>(holders.size());
        List<Tensor> bs = new ArrayList<>(holders.size());
        for (Holder h : holders) {
            as.add(h.weights().a());
            bs.add(h.weights().b());
        }
        return new LoraWeights(weightedSum(as, w), weightedSum(bs, w));
    }

    /**
     * A fresh float32 trainable leaf owning its memory that outlives the enclosing scope: one extra JavaCPP reference
     * is taken, which the scope's close gives back, leaving the tensor to its Java owner ({@code close()} or GC).
     * ({@link NativeScope#keep} is not used: JavaCPP's {@code PointerScope.detach} releases the scope's reference,
     * which frees a tensor the scope had attached.)
     */
    static Tensor fresh(NativeScope scope, Tensor t) {
        Tensor out = t.detach().to(torch.ScalarType.Float).contiguous().clone();
        out.retainReference();
        out.set_requires_grad(true);
        return out;
    }

    static LoraWeights fresh(NativeScope scope, LoraWeights w) {
        return new LoraWeights(fresh(scope, w.a()), fresh(scope, w.b()));
    }

    /**
     * Builds the result: each client's device-side keys take {@code deviceValues}, its server-side keys take
     * {@code serverValues} (or its own values when that is null), and the global set takes {@code global}; all copied.
     */
    AggregationResult assemble(NativeScope scope, String strategy, Map<String, LoraWeights> deviceValues,
                               Map<String, LoraWeights> serverValues, Map<String, LoraWeights> global) {
        Map<String, ClientAdapters> clients = new LinkedHashMap<>();
        for (ClientUpdate u : updates) {
            Map<String, LoraWeights> dev = new LinkedHashMap<>();
            u.deviceSide().asMap().forEach((k, w) -> dev.put(k, fresh(scope, deviceValues.get(k))));
            Map<String, LoraWeights> srv = new LinkedHashMap<>();
            u.serverSide().asMap().forEach((k, w) -> srv.put(k, fresh(scope, serverValues == null ? w : serverValues.get(k))));
            clients.put(u.clientId(), new ClientAdapters(new AdapterSet(u.deviceSide().config(), dev),
                    new AdapterSet(u.serverSide().config(), srv)));
        }
        Map<String, LoraWeights> g = new LinkedHashMap<>();
        global.forEach((k, w) -> g.put(k, fresh(scope, w)));
        return new AggregationResult(strategy, new AdapterSet(config, g), clients, shares());
    }
}
