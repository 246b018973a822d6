package org.memsfl.grpc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.memsfl.data.Dataset;
import org.memsfl.data.DeviceHeldOut;
import org.memsfl.data.Example;
import org.memsfl.data.ExampleEncoder;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.data.Partitioner;
import org.memsfl.lora.AdapterSet;
import org.memsfl.metrics.PredictionsFile;
import org.memsfl.metrics.TaskMetrics;
import org.memsfl.model.LoadedModel;
import org.memsfl.train.TaskEvalPlan;
import org.memsfl.train.TaskEvaluator;
import org.memsfl.util.Json;

/**
 * Generation-based task evaluation on the edge server, the simulator's code ({@link TaskEvaluator},
 * {@link DeviceHeldOut}) on the global adapters: after the final round, and every k rounds when asked, greedy answers
 * to each device's own held-out prompts (the prompts whose natural key the device's partition trains on), scored with
 * the dataset's task metrics over all devices and the headline metric per device. The final round's answers go to
 * {@code predictions.jsonl} and its scores to {@code metrics.json} beside {@code summary.json}, as {@code compare}
 * writes them for method {@code memsfl}. Without {@code --generate} ({@link ServerDeployment#generation()} null) it does
 * nothing.
 */
final class ServerTaskEval {

    private final ServerDeployment s;
    private final Dataset ds;
    private final ExampleEncoder encoder;
    private final TaskEvalPlan plan;
    private final Consumer<String> log;
    private final List<List<Example>> parts;   // null without a plan
    private TaskEvaluator.Result last;

    ServerTaskEval(ServerDeployment s, Dataset ds, ExampleEncoder encoder, Consumer<String> log) {
        this.s = s;
        this.ds = ds;
        this.encoder = encoder;
        this.plan = s.generation();
        this.log = log;
        // the partitions every device draws with the same partitioner, fleet size and seed (DeviceData)
        this.parts = plan == null ? null
                : Partitioner.of(s.run().partition()).partition(ds.train(), s.fleetSize(), s.run().seed());
    }

    /**
     * Evaluates the global adapters when round {@code round} is due; otherwise does nothing.
     *
     * @param deviceByPartition the registered device of each partition index (absent: none registered)
     * @param line              the round's metrics line, which gets {@code task_metrics} when the round is due
     */
    void afterRound(int round, LoadedModel loaded, AdapterSet global, Map<Integer, String> deviceByPartition,
            Map<String, Object> line) {
        if (plan == null || !plan.due(round, s.run().rounds())) {
            return;
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            ids.add(deviceByPartition.getOrDefault(i, "partition-" + i));
        }
        Map<String, List<HeldOutPrompt>> byDevice = DeviceHeldOut.split(parts, ids, ds.eval(), s.run().partition(),
                s.run().seed(), plan.promptsPerDevice());
        last = TaskEvaluator.evaluate(loaded.model(), global, loaded.requireTokenizer(), encoder, ds.name(), byDevice,
                plan.settings());
        log.accept("round " + round + ": task metrics " + last.metrics() + " over " + last.predictions().size()
                + " held-out prompts");
        line.put("task_metrics", last.metrics());
    }

    /** Writes the final evaluation's files ({@link #write}) and returns its summary; null without a plan. */
    static Map<String, Object> writeFinal(ServerTaskEval e, Path out) {
        if (e.plan == null) {
            return null;
        }
        e.write(out);
        return e.summary();
    }

    /** The last evaluation as summary.json records it, or null before any. */
    Map<String, Object> summary() {
        return last == null ? null : last.toSummary();
    }

    /** predictions.jsonl and metrics.json of the last (final) evaluation into {@code out}; nothing before any. */
    void write(Path out) {
        if (last == null) {
            return;
        }
        PredictionsFile.write(out.resolve("predictions.jsonl"), Map.of("memsfl", last.predictions()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", ds.name());
        m.put("headline_metric", TaskMetrics.headline(ds.name()).id());
        m.put("generation", plan.toMap());
        m.put("methods", Map.of("memsfl", last.toSummary()));
        Json.write(out.resolve("metrics.json"), m);
    }
}
