package org.memsfl.round;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.memsfl.data.Batch;
import org.memsfl.data.Dataset;
import org.memsfl.data.DeviceHeldOut;
import org.memsfl.data.Example;
import org.memsfl.data.ExampleEncoder;
import org.memsfl.data.HeldOut;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.lora.AdapterSet;
import org.memsfl.metrics.Prediction;
import org.memsfl.metrics.PredictionsFile;
import org.memsfl.metrics.TaskMetrics;
import org.memsfl.model.LoadedModel;
import org.memsfl.settings.RunSettings;
import org.memsfl.train.Evaluator;
import org.memsfl.train.TaskEvalPlan;
import org.memsfl.train.TaskEvaluator;
import org.memsfl.util.Json;

/**
 * A run's held-out evaluation of its global adapters, the same in the simulator and on the edge server: by loss (mean
 * nats per target token on the first {@code evalExamples} of the held-out split, batched in order) after every round,
 * and by generation ({@link TaskEvaluator}, when a {@link TaskEvalPlan} asks) on each device's own held-out prompts,
 * which {@link DeviceHeldOut} picks from the partition ({@link DeviceData#rawPartitions}) that device trains on. What
 * a run records of it: the {@code task_metrics} of a round, and after the final round {@code predictions.jsonl} (one
 * line per prompt and method) and {@code metrics.json} beside {@code summary.json}.
 *
 * <p>Built by {@link SplitRun}; the model is the run's and is not closed here.
 */
public final class HeldOutEval {

    private final RunSettings s;
    private final Dataset ds;              // null: the run holds nothing out (an edge server without eval data)
    private final ExampleEncoder encoder;
    private final LoadedModel loaded;
    private final int partitions;
    private final List<Batch> batches;
    private List<List<Example>> parts;     // the training split's partitions, computed once when first asked

    /**
     * @param ds         the dataset whose held-out split is scored and whose training split the devices partition
     *                   (null: nothing is held out)
     * @param encoder    how examples and prompts become ids ({@code template})
     * @param partitions how many partitions the training split is cut into (one per device)
     */
    HeldOutEval(RunSettings s, Dataset ds, ExampleEncoder encoder, int seqLen, int partitions, LoadedModel loaded) {
        this.s = s;
        this.ds = ds;
        this.encoder = encoder;
        this.loaded = loaded;
        this.partitions = partitions;
        this.batches = ds == null ? List.of() : HeldOut.batches(ds, encoder, s.evalExamples(), s.batchSize(), seqLen);
    }

    /** The held-out batches scored after each round (empty when nothing is held out). */
    public List<Batch> batches() {
        return batches;
    }

    /** The held-out dataset's name (it picks the task metrics); null when nothing is held out. */
    public String datasetName() {
        return ds == null ? null : ds.name();
    }

    /** Every partition of the training split, untokenised, in partition order (the devices' in the simulator). */
    public List<List<Example>> partitions() {
        if (parts == null) {
            parts = DeviceData.rawPartitions(ds, s.partition(), partitions, s.seed());
        }
        return parts;
    }

    /** Mean nats per target token of {@code global} on the held-out batches. */
    public double loss(AdapterSet global) {
        return Evaluator.evaluate(loaded.model(), global, batches).loss();
    }

    /**
     * The held-out loss a round records after {@link SplitServer#endRound(List, double)} scored its aggregate on
     * {@link #batches()}: that score, or the last recorded one when nothing is held out.
     */
    public double recordedLoss(RoundEnd end, double lastLoss) {
        return batches.isEmpty() ? lastLoss : end.evalLoss();
    }

    /**
     * Each device's own held-out prompts, at most {@code perDevice}, in partition order.
     *
     * @param deviceOfPartition the id of the device that trains partition i
     */
    public Map<String, List<HeldOutPrompt>> prompts(IntFunction<String> deviceOfPartition, int perDevice) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            ids.add(deviceOfPartition.apply(i));
        }
        return DeviceHeldOut.split(partitions(), ids, ds.eval(), s.partition(), s.seed(), perDevice);
    }

    /** Whether round {@code round} is evaluated by generation under {@code plan} (null: never). */
    public boolean due(TaskEvalPlan plan, int round) {
        return plan != null && plan.due(round, s.rounds());
    }

    /** Greedy (or sampled, as {@code plan} says) answers of {@code global} to {@code prompts}, scored. */
    public TaskEvaluator.Result generate(AdapterSet global, Map<String, List<HeldOutPrompt>> prompts, TaskEvalPlan plan) {
        return TaskEvaluator.evaluate(loaded.model(), global, loaded.requireTokenizer(), encoder, ds.name(), prompts,
                plan.settings());
    }

    /**
     * After round {@code round}: the generation evaluation of {@code global} on each device's own prompts when the
     * round is due, else null.
     */
    public TaskEvaluator.Result afterRound(int round, AdapterSet global, TaskEvalPlan plan,
            IntFunction<String> deviceOfPartition) {
        if (!due(plan, round)) {
            return null;
        }
        return generate(global, prompts(deviceOfPartition, plan.promptsPerDevice()), plan);
    }

    /**
     * The final round's files: {@code predictions.jsonl} (every method's answers) and {@code metrics.json} (data,
     * headline metric, the plan, and per method its task metrics and per-device quality) into {@code out}.
     *
     * @param byMethod each method's final evaluation, in the order written
     */
    public void writeTaskFiles(Path out, TaskEvalPlan plan, Map<String, TaskEvaluator.Result> byMethod) {
        Map<String, List<Prediction>> predictions = new LinkedHashMap<>();
        Map<String, Object> summaries = new LinkedHashMap<>();
        byMethod.forEach((method, r) -> {
            predictions.put(method, r.predictions());
            summaries.put(method, r.toSummary());
        });
        PredictionsFile.write(out.resolve("predictions.jsonl"), predictions);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", ds.name());
        m.put("headline_metric", TaskMetrics.headline(ds.name()).id());
        m.put("generation", plan.toMap());
        m.put("methods", summaries);
        Json.write(out.resolve("metrics.json"), m);
    }
}
