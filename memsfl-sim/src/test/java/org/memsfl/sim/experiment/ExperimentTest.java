package org.memsfl.sim.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.Tensors;
import org.memsfl.fed.Aggregators;
import org.memsfl.lora.LoraConfig;
import org.memsfl.schedule.Policies;
import org.memsfl.sim.SimContext;
import org.memsfl.settings.RunSettings;
import org.memsfl.sim.method.SplitFederatedMethod;
import org.memsfl.util.Json;
import org.memsfl.metrics.Prediction;
import org.memsfl.metrics.PredictionsFile;
import org.memsfl.train.TaskEvalPlan;
import org.memsfl.train.TaskEvaluator;

/** End-to-end runs of the simulator on stories260K + Dolly over paper-5 with tiny settings. */
class ExperimentTest {

    static SimContext ctx;

    @BeforeAll
    static void context() {
        ctx = new SimContext(settings());
    }

    @AfterAll
    static void close() {
        ctx.close();
    }

    static RunSettings settings() {
        return RunSettings.builder().model("stories260K").planShape("random:gpt2-medium").data("dolly")
                .partition("natural").fleet("paper-5").rounds(2).localSteps(2).scheduler("exact").aggregation("fedavg")
                .batchSize(2).seqLen(48).lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).lr(3e-3).warmup(1)
                .maxGradNorm(1.0).evalExamples(8).safetyMargin(0.1).wire(org.memsfl.split.WireFormat.FP32).seed(7)
                .build();
    }

    @Test
    void cutsAreHeterogeneousAndScaled() {
        assertThat(ctx.cuts()).hasSize(5);
        assertThat(ctx.cuts().values()).allSatisfy(c -> assertThat(c).isBetween(1, 4));
        assertThat(new java.util.HashSet<>(ctx.cuts().values()).size()).isGreaterThan(1);
    }

    /** memsfl and SFL-V1 differ in what the server holds and when, not in the arithmetic: same adapters, bit for bit. */
    @Test
    void memsflAndSflV1TrainTheSameAdapters() {
        List<float[]> a = train(SplitFederatedMethod.Variant.MEMSFL);
        List<float[]> b = train(SplitFederatedMethod.Variant.SFL_V1);
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i)).containsExactly(a.get(i));
        }
    }

    @Test
    void sameSeedSameResult() {
        List<float[]> a = train(SplitFederatedMethod.Variant.MEMSFL);
        List<float[]> b = train(SplitFederatedMethod.Variant.MEMSFL);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i)).containsExactly(a.get(i));
        }
    }

    private static List<float[]> train(SplitFederatedMethod.Variant v) {
        try (SplitFederatedMethod m = new SplitFederatedMethod(v, ctx, Aggregators.of("fedavg"), Policies.of("exact"))) {
            m.round(1);
            m.round(2);
            List<float[]> out = new ArrayList<>();
            for (Tensor t : m.globalAdapters().parameters()) {
                out.add(Tensors.toFloats(t));
            }
            return out;
        }
    }

    @Test
    void compareWritesManifestMetricsAndSummary(@TempDir Path out) throws Exception {
        // generation after round 1 and the final round 2: 2 held-out prompts per device, 8 new tokens each
        TaskEvalPlan gen = new TaskEvalPlan(TaskEvaluator.Settings.greedy(8, 4), 2, 1);
        List<MethodResult> results = new Experiment(ctx, out, s -> { }, gen).run(Experiment.METHODS, r -> { });
        assertThat(results).hasSize(5);
        assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(5 * 2);
        JsonNode summary = Json.MAPPER.readTree(out.resolve("summary.json").toFile());
        for (String m : Experiment.METHODS) {
            JsonNode n = summary.get("methods").get(m);
            for (String k : List.of("server_peak_bytes", "device_peak_bytes", "round_time_s", "wall_s", "final_eval_loss",
                    "bytes_up", "bytes_down")) {
                assertThat(n.has(k)).as(m + "." + k).isTrue();
            }
        }
        JsonNode manifest = Json.MAPPER.readTree(out.resolve("manifest.json").toFile());
        assertThat(manifest.get("seed").asLong()).isEqualTo(7);
        assertThat(manifest.get("config").get("cuts").size()).isEqualTo(5);
        Map<String, MethodResult> byName = new java.util.LinkedHashMap<>();
        results.forEach(r -> byName.put(r.name(), r));
        // the memory story: one shared model on the memsfl server, one copy per device on the SFL-V1 server
        assertThat(byName.get("memsfl").memory().serverPeak()).isLessThan(byName.get("sfl-v1").memory().serverPeak());
        // training helps: every method that trained ends below the untuned loss of the first evaluation batch set
        assertThat(byName.get("memsfl").finalEvalLoss()).isLessThan(4.6);
        // task quality: every round generated (every 1), per-device summary with each device's own prompts
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode n = Json.MAPPER.readTree(line);
            assertThat(n.get("task_metrics").has("rouge_l")).isTrue();
            // the split methods record the dispatcher's order of every step served, as the edge server does
            boolean split = List.of("memsfl", "sfl-v1", "splitlora").contains(n.get("method").asText());
            assertThat(n.has("serve_order")).as(line).isEqualTo(split);
            if (split) {
                assertThat(n.get("serve_order").size()).as(line)
                        .isEqualTo(n.get("participants").size() * ctx.settings().localSteps());
            }
            // a sequential server's serve order is its simulated round's, slot by slot, and that round is its time
            boolean sequential = List.of("memsfl", "splitlora").contains(n.get("method").asText());
            assertThat(n.has("server_slots")).as(line).isEqualTo(sequential);
            if (sequential) {
                List<String> slots = new ArrayList<>();
                double lastEnd = 0;
                for (JsonNode slot : n.get("server_slots")) {
                    slots.add(slot.get("step").asText());
                    lastEnd = Math.max(lastEnd, slot.get("end_s").asDouble());
                }
                List<String> served = new ArrayList<>();
                n.get("serve_order").forEach(x -> served.add(x.asText()));
                assertThat(slots).as(line).isEqualTo(served);
                assertThat(n.get("sim_round_time_s").asDouble()).as(line).isGreaterThan(lastEnd);
            }
        }
        JsonNode perDevice = summary.get("methods").get("memsfl").get("task").get("per_device");
        assertThat(perDevice.get("devices").size()).isEqualTo(5);
        double worst = perDevice.get("worst").asDouble();
        perDevice.get("devices").forEach(d -> assertThat(d.asDouble()).isGreaterThanOrEqualTo(worst));
        assertThat(perDevice.get("spread").asDouble()).isGreaterThanOrEqualTo(0);
        Map<String, List<Prediction>> predictions = PredictionsFile.readByMethod(out.resolve("predictions.jsonl"));
        assertThat(predictions.keySet()).containsExactlyElementsOf(Experiment.METHODS);
        assertThat(predictions.get("fedlora")).hasSize(10);
        JsonNode metrics = Json.MAPPER.readTree(out.resolve("metrics.json").toFile());
        assertThat(metrics.get("methods").get("centralized").get("metrics").get("rouge_l").asDouble())
                .isEqualTo(org.memsfl.metrics.Metric.ROUGE_L.score(predictions.get("centralized")));
    }
}
