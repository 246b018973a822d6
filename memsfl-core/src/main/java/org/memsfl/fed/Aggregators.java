package org.memsfl.fed;

import java.util.List;
import java.util.Locale;

/** The aggregation strategies by their CLI names. */
public final class Aggregators {

    /** CLI names, default first. */
    public static final List<String> NAMES = List.of(FedAvg.NAME, ClientOnlyAvg.NAME, SvdAggregation.NAME);

    private Aggregators() {
    }

    /** Per-layer FedAvg. */
    public static AggregationStrategy defaultStrategy() {
        return new FedAvg();
    }

    /**
     * @param name {@code fedavg} (per-layer FedAvg, default), {@code client-only} (SplitLoRA-style) or {@code svd}
     *             (FlexLoRA-style); case and surrounding blanks are ignored
     */
    public static AggregationStrategy of(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case FedAvg.NAME: return new FedAvg();
            case ClientOnlyAvg.NAME: return new ClientOnlyAvg();
            case SvdAggregation.NAME: return new SvdAggregation();
            default:
                throw new org.memsfl.util.BadInputException("unknown aggregation strategy '" + name + "'; expected one of "
                        + String.join(", ", NAMES) + " (fedavg: per-layer FedAvg, the default; client-only: SplitLoRA-style,"
                        + " device-side adapters only; svd: FlexLoRA-style, B·A averaged and re-factorised by SVD)");
        }
    }
}
