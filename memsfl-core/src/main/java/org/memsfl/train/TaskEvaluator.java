package org.memsfl.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.data.ExampleEncoder;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.data.Tokenization;
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
 * <p>A prompt is fed as training feeds it ({@link ExampleEncoder#promptIds}: [BOS] + tokens(prompt) with the plain
 * templates, the chat template's user turn and assistant header with {@code --template chat}); a prompt longer than
 * the window minus {@code maxNewTokens} loses its beginning, as training cuts long prompts. The answer is the decoded
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

        /**
         * As summary.json and metrics.json record it, the same in the simulator and on the edge server: prompts,
         * metrics, and per_device (metric, mean, worst, worst_device, spread, devices) when devices were given.
         */
        public Map<String, Object> toSummary() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompts", predictions.size());
            m.put("metrics", metrics);
            if (perDevice != null) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("metric", perDevice.metric());
                d.put("mean", perDevice.mean());
                d.put("worst", perDevice.worst());
                d.put("worst_device", perDevice.worstDevice());
                d.put("spread", perDevice.spread());
                d.put("devices", perDevice.perDevice());
                m.put("per_device", d);
            }
            return m;
        }
    }

    private TaskEvaluator() {
    }

    /** Decodes an answer to each prompt, formatted by the plain templates; the predictions keep the input order. */
    public static List<Prediction> generate(DecoderModel model, AdapterSet adapters, Tokenizer tokenizer,
            List<HeldOutPrompt> prompts, Settings s) {
        return generate(model, adapters, tokenizer, plain(model, tokenizer), prompts, s);
    }

    /** Decodes an answer to each prompt, formatted by {@code encoder}; the predictions keep the input order. */
    public static List<Prediction> generate(DecoderModel model, AdapterSet adapters, Tokenizer tokenizer,
            ExampleEncoder encoder, List<HeldOutPrompt> prompts, Settings s) {
        int window = model.config().maxSeqLen();
        if (s.maxNewTokens() >= window) {
            throw new IllegalArgumentException("max new tokens " + s.maxNewTokens() + " leaves no room for a prompt in "
                    + "the model's " + window + "-token window");
        }
        int eos = tokenizer.eosId().orElse(-1);
        int room = window - s.maxNewTokens();
        List<int[]> ids = new ArrayList<>();
        for (HeldOutPrompt p : prompts) {
            int[] t = encoder.promptIds(p);
            // a long prompt loses its beginning after the first id (BOS, or the template's first token)
            ids.add(t.length <= room ? t : keepHeadAndTail(t, room));
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
            predictions.add(new Prediction(encoder.promptText(p), p.references(), texts[i], p.clientKey()));
        }
        return predictions;
    }

    private static int[] keepHeadAndTail(int[] t, int room) {
        int[] in = new int[room];
        in[0] = t[0];
        System.arraycopy(t, t.length - (room - 1), in, 1, room - 1);
        return in;
    }

    private static ExampleEncoder plain(DecoderModel model, Tokenizer tokenizer) {
        return new Tokenization(tokenizer, model.config().maxSeqLen());
    }

    /** {@link #evaluate(DecoderModel, AdapterSet, Tokenizer, ExampleEncoder, String, Map, Settings)} with the plain templates. */
    public static Result evaluate(DecoderModel model, AdapterSet adapters, Tokenizer tokenizer, String datasetName,
            Map<String, List<HeldOutPrompt>> byDevice, Settings s) {
        return evaluate(model, adapters, tokenizer, plain(model, tokenizer), datasetName, byDevice, s);
    }

    /**
     * Generates for every device's held-out prompts and scores them: the dataset's metrics over all predictions,
     * the headline metric per device (devices without prompts are left out of the per-device summary).
     */
    public static Result evaluate(DecoderModel model, AdapterSet adapters, Tokenizer tokenizer, ExampleEncoder encoder,
            String datasetName, Map<String, List<HeldOutPrompt>> byDevice, Settings s) {
        List<HeldOutPrompt> all = new ArrayList<>();
        byDevice.values().forEach(all::addAll);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no held-out prompt to generate for (dataset " + datasetName
                    + " has no prompts in its eval split)");
        }
        List<Prediction> predictions = generate(model, adapters, tokenizer, encoder, all, s);
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
