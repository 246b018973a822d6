package org.memsfl.metrics;

import java.util.List;

/**
 * Which metrics a dataset is scored with, following the papers that report it: E2E as the E2E NLG Challenge and the
 * LoRA and SplitLoRA papers (BLEU, NIST, METEOR, ROUGE-L, CIDEr), GSM8K by exact match of the final answer, Dolly
 * and anything else by ROUGE-L. The first metric is the task's headline metric.
 */
public final class TaskMetrics {

    private TaskMetrics() {
    }

    public static List<Metric> forDataset(String datasetName) {
        return switch (datasetName) {
            case "e2e" -> List.of(Metric.BLEU, Metric.NIST, Metric.METEOR, Metric.ROUGE_L, Metric.CIDER);
            case "gsm8k" -> List.of(Metric.EXACT_MATCH);
            default -> List.of(Metric.ROUGE_L);
        };
    }

    /** The one metric a comparison ranks methods by for this dataset. */
    public static Metric headline(String datasetName) {
        return forDataset(datasetName).get(0);
    }
}
