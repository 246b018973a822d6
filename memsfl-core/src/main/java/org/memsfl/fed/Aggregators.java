package org.memsfl.fed;

import java.util.List;
import java.util.Locale;

/** The aggregation strategies by their CLI names. */
public final class Aggregators {

    /** CLI names, default first. */
    public static final List<String> NAMES = List.of(FedAvg.NAME, ClientOnlyAvg.NAME, SvdAggregation.NAME, FedMedian.NAME,
            FedTrimmedAvg.NAME);

    private Aggregators() {
    }

    /** Per-layer FedAvg. */
    public static AggregationStrategy defaultStrategy() {
        return new FedAvg();
    }

    /**
     * @param name {@code fedavg} (per-layer FedAvg, default), {@code client-only} (SplitLoRA-style) or {@code svd}
     *             (FlexLoRA-style), {@code fedmedian} (coordinate-wise median) or {@code fedtrimmedavg[:beta]}
     *             (coordinate-wise trimmed mean, beta 0.2 by default); case and surrounding blanks are ignored
     */
    public static AggregationStrategy of(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case FedAvg.NAME: return new FedAvg();
            case ClientOnlyAvg.NAME: return new ClientOnlyAvg();
            case SvdAggregation.NAME: return new SvdAggregation();
            case FedMedian.NAME: return new FedMedian();
            case FedTrimmedAvg.NAME: return new FedTrimmedAvg(FedTrimmedAvg.DEFAULT_BETA);
            default:
                if (n.startsWith(FedTrimmedAvg.NAME + ":")) {
                    String b = n.substring(FedTrimmedAvg.NAME.length() + 1);
                    try {
                        return new FedTrimmedAvg(Double.parseDouble(b));
                    } catch (NumberFormatException e) {
                        throw new org.memsfl.util.BadInputException("fedtrimmedavg:<beta> needs a number in [0, 0.5), got '" + b + "'");
                    }
                }
                throw new org.memsfl.util.BadInputException("unknown aggregation strategy '" + name + "'; expected one of "
                        + String.join(", ", NAMES) + " (fedavg: per-layer FedAvg, the default; client-only: SplitLoRA-style,"
                        + " device-side adapters only; svd: FlexLoRA-style, B·A averaged and re-factorised by SVD; fedmedian:"
                        + " coordinate-wise median; fedtrimmedavg[:beta]: coordinate-wise mean without the beta fraction at"
                        + " each end, default 0.2)");
        }
    }
}
