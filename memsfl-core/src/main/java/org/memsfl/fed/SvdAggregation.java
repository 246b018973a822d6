package org.memsfl.fed;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.T_TensorTensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.LoraWeights;

/**
 * FlexLoRA-style product-space aggregation ({@code svd}; Bai et al., "Federated Fine-tuning of Large Language Models
 * under Heterogeneous Tasks and Client Resources", 2024). Per key, over the clients that hold it (either side):
 * the dense updates {@code ΔW_u = B_u A_u} are averaged weighted by {@code numExamples} (the LoRA scale alpha/r is
 * common to all clients and cancels), and the mean is re-factorised by a truncated SVD to the configured rank r:
 * {@code B = U_r sqrt(S_r)}, {@code A = sqrt(S_r) V_r^T}, so {@code B A} is the best rank-r approximation of the
 * mean (Eckart–Young). Computed in float64, returned in float32. All clients get the re-factorised values.
 *
 * <p>Unlike averaging A and B separately, this averages what the model actually applies; the price is one SVD of an
 * (out x in) matrix per key, and factors that are a rotation of the clients' own (fine for LoRA: only B A matters).
 *
 * <p>Degenerate directions: where a singular value is numerically zero ({@code <= s_max * max(out, in) * eps}),
 * e.g. before any training when every B is zero, the factorisation above would zero both A's row and B's column,
 * and such a direction could never train again (each factor's gradient is proportional to the other). There the
 * A row is the unit singular vector and the B column is zero, as at LoRA initialisation; B A is unchanged. If r
 * exceeds min(out, in), the surplus rank is padded with zeros.
 */
public final class SvdAggregation implements AggregationStrategy {

    public static final String NAME = "svd";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AggregationResult aggregate(List<ClientUpdate> updates) {
        AggregationInputs in = AggregationInputs.of(updates);
        int rank = in.config.rank();
        try (NoGradGuard ng = new NoGradGuard(); NativeScope scope = new NativeScope()) {
            Map<String, LoraWeights> factors = new TreeMap<>();
            in.holders(true, true).forEach((k, hs) -> factors.put(k, refactorise(meanProduct(hs), rank)));
            return in.assemble(scope, NAME, factors, factors, factors);
        }
    }

    /** {@code sum_u w_u B_u A_u} in float64. */
    static Tensor meanProduct(List<AggregationInputs.Holder> holders) {
        double[] w = AggregationInputs.weights(holders);
        List<Tensor> products = new ArrayList<>(holders.size());
        for (AggregationInputs.Holder h : holders) {
            Tensor b = h.weights().b().detach().to(torch.ScalarType.Double);
            Tensor a = h.weights().a().detach().to(torch.ScalarType.Double);
            products.add(b.matmul(a));
        }
        return AggregationInputs.weightedSum(products, w);
    }

    /** Rank-{@code rank} factors (B: out x rank, A: rank x in) of a float64 (out x in) matrix, float64. */
    static LoraWeights refactorise(Tensor m, int rank) {
        long[] shape = Tensors.shape(m);
        T_TensorTensorTensor_T usv = torch.linalg_svd(m, false, new StringViewOptional());
        Tensor u = usv.get0();
        Tensor s = usv.get1();
        Tensor vh = usv.get2();
        double[] sv = Tensors.toDoubles(s);
        int keep = Math.min(rank, sv.length);
        double tol = (sv.length == 0 ? 0 : sv[0]) * Math.max(shape[0], shape[1]) * Math.ulp(1.0);
        double[] colScale = new double[keep]; // multiplies U's columns: sqrt(s), or 0 where s is numerically zero
        double[] rowScale = new double[keep]; // multiplies V^T's rows: sqrt(s), or 1 there
        for (int i = 0; i < keep; i++) {
            if (sv[i] > tol) {
                colScale[i] = Math.sqrt(sv[i]);
                rowScale[i] = colScale[i];
            } else {
                colScale[i] = 0;
                rowScale[i] = 1;
            }
        }
        Tensor b = u.narrow(1, 0, keep).mul(Tensors.fromDoubles(colScale, 1, keep).to(u));
        Tensor a = vh.narrow(0, 0, keep).mul(Tensors.fromDoubles(rowScale, keep, 1).to(vh));
        if (keep < rank) {
            b = torch.cat(new TensorVector(b, torch.zeros(new long[] {shape[0], rank - keep}, Tensors.options(torch.ScalarType.Double)).to(b)), 1);
            a = torch.cat(new TensorVector(a, torch.zeros(new long[] {rank - keep, shape[1]}, Tensors.options(torch.ScalarType.Double)).to(a)), 0);
        }
        return new LoraWeights(a, b);
    }

    @Override
    public String toString() {
        return NAME;
    }
}
