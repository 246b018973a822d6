package org.memsfl.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.lora.AdapterSet;
import org.memsfl.metrics.DeviceQuality;
import org.memsfl.metrics.Metric;
import org.memsfl.metrics.Prediction;
import org.memsfl.metrics.TaskMetrics;
import org.memsfl.model.DecoderModel;
import org.memsfl.tokenizer.Tokenizer;

/**
 * Generation-based task evaluation: decode an answer to every held-out prompt (greedy by default, batched, with the
 * KV cache, at most {@code maxNewTokens}), then score the answers with the dataset's task metrics
 * ({@link TaskMetrics}) over all devices' prompts together, and the headline metric on each device's prompts alone.
 *
 * <p>A prompt is fed as [BOS] + tokens(prompt), as in training ({@code Tokenization}); a prompt longer than the
 * window minus {@code maxNewTokens} loses its beginning, as training cuts long prompts. The answer is the decoded
 * text up to EOS, with surrounding whitespace removed.
 */
public final class TaskEvaluator {

    /** Decoding settings; {@code temperature} 0 is greedy. */
    public record Settings(int maxNewTokens, int batchSize, double temperature, long seed) {
        public Settings {
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("generation batch size must be >= 1, got " + batchSize);
            }
            if (!(temperature >= 0)) {
                throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
            }
        }

        public static Settings greedy(int maxNewTokens, int batchSize) {
            return new Settings(maxNewTokens, batchSize, 0, 0);
        }
    }

    /**
     * What one evaluation gives: every prediction, the task metrics over all of them, and per device the headline
     * metric (null when no device was given).
     */
    public record Result(List<Prediction> predictions, Map<String, Double> metrics, DeviceQuality perDevice) {
        public Result {
            predictions = List.copyOf(predictions);
            metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        }
    }

    private TaskEvaluator() {
    }

    /** Decodes an answer to each prompt; the predictions keep the input order. */
    public static List<Prediction> generate(DecoderModel model, AdapterSet adapters, Tokenizer tokenizer,
            List<HeldOutPrompt> prompts, Settings s) {
        int window = model.config().maxSeqLen();
        if (s.maxNewTokens() >= window) {
            throw new IllegalArgumentException("max new tokens " + s.maxNewTokens() + " leaves no room for a prompt in "
                    + "the model's " + window + "-token window");
        }
        // BOS only where the checkpoint's tokenizer adds one, as the training examples were built (Tokenization)
        int bos = tokenizer.addsBos() ? tokenizer.bosId().orElse(-1) : -1;
        int eos = tokenizer.eosId().orElse(-1);
        int room = window - s.maxNewTokens() - (bos >= 0 ? 1 : 0);
        List<int[]> ids = new ArrayList<>();
        for (HeldOutPrompt p : prompts) {
            int[] t = tokenizer.encode(p.prompt());
            int keep = Math.min(t.length, room);
            int[] in = new int[keep + (bos >= 0 ? 1 : 0)];
            if (bos >= 0) {
                in[0] = bos;
            }
            System.arraycopy(t, t.length - keep, in, bos >= 0 ? 1 : 0, keep);
            ids.add(in);
        }
        // similar lengths together, so left-padding wastes little; results go back to input order
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> ids.get(i).length));
        List<int[]> sorted = order.stream().map(ids::get).toList();
        Generator.Settings g = new Generator.Settings(s.maxNewTokens(), s.temperature(), 1, s.seed(), true);
        List<int[]> out = new Generator(model, adapters).generateBatch(sorted, g, eos, s.batchSize());
        String[] texts = new String[prompts.size()];
        for (int k = 0; k < order.size(); k++) {
            texts[order.get(k)] = tokenizer.decode(out.get(k)).strip();
        }
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            HeldOutPrompt p = prompts.get(i);
            predictions.add(new Prediction(p.prompt(), p.references(), texts[i], p.clientKey()));
        }
        return predictions;
    }

    /**
     * Generates for every device's held-out prompts and scores them: the dataset's metrics over all predictions,
     * the headline metric per device (devices without prompts are left out of the per-device summary).
     */
    public static Result evaluate(DecoderModel model, AdapterSet adapters, Tokenizer tokenizer, String datasetName,
            Map<String, List<HeldOutPrompt>> byDevice, Settings s) {
        List<HeldOutPrompt> all = new ArrayList<>();
        byDevice.values().forEach(all::addAll);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no held-out prompt to generate for (dataset " + datasetName
                    + " has no prompts in its eval split)");
        }
        List<Prediction> predictions = generate(model, adapters, tokenizer, all, s);
        Map<String, List<Prediction>> perDevice = new LinkedHashMap<>();
        int at = 0;
        for (Map.Entry<String, List<HeldOutPrompt>> e : byDevice.entrySet()) {
            int n = e.getValue().size();
            if (n > 0) {
                perDevice.put(e.getKey(), predictions.subList(at, at + n));
            }
            at += n;
        }
        Map<String, Double> metrics = Metric.scoreAll(TaskMetrics.forDataset(datasetName), predictions);
        DeviceQuality quality = perDevice.size() > 0 && !(perDevice.size() == 1 && perDevice.containsKey(""))
                ? DeviceQuality.score(TaskMetrics.headline(datasetName), perDevice) : null;
        return new Result(predictions, metrics, quality);
    }
}
