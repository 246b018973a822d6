package org.memsfl.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.memsfl.sim.SimContext;
import org.memsfl.settings.RunSettings;
import org.memsfl.sim.experiment.Experiment;
import org.memsfl.sim.experiment.MethodResult;
import org.memsfl.sim.experiment.Reports;
import org.memsfl.sim.experiment.ScaleStudy;
import org.memsfl.sim.report.ReportInput;
import org.memsfl.sim.report.ReportWriter;
import org.memsfl.sim.report.TextTable;
import org.memsfl.train.TaskEvalPlan;
import org.memsfl.util.Json;

/** Shared body of simulate, compare and demo: run, report, print the table. */
final class SimRunner {

    private SimRunner() {
    }

    static int run(RunSettings s, List<String> methods, Path out, String scaleShape, boolean json, String title,
            TaskEvalPlan generation) {
        return run(s, methods, out, scaleShape, json, title, generation, List.of(), null);
    }

    /**
     * @param timeFleets further fleets (presets or files) whose modeled round times of memsfl, FCFS and sfl-v1 are
     *                   printed beside the run's own fleet at the scale shape (the demo adds a server-bound one)
     * @param processes  how several methods run: null, one after another in this process; else each in a JVM of its
     *                   own ({@link MethodProcesses}), so that their wall times do not depend on their order
     */
    static int run(RunSettings s, List<String> methods, Path out, String scaleShape, boolean json, String title,
            TaskEvalPlan generation, List<String> timeFleets, MethodProcesses processes) {
        methods.forEach(org.memsfl.sim.method.Methods::of); // an unknown id exits 2 naming the known ones
        System.err.printf("memsfl: %s on %s, data %s (%s), fleet %s, %d rounds x %d local steps%n", methods, s.model(),
                s.data(), s.partition(), s.fleet(), s.rounds(), s.localSteps());
        try (SimContext ctx = new SimContext(s)) {
            System.err.println("memsfl: cuts " + ctx.cuts() + (s.planShape() == null ? "" : " (planned at " + s.planShape()
                    + ", scaled to " + ctx.loaded().config().nLayers() + " layers)"));
            List<MethodResult> results;
            Experiment experiment = new Experiment(ctx, out, line -> System.err.println("memsfl: " + line), generation);
            if (processes != null && methods.size() > 1) {
                results = experiment.run(methods, rm -> { }, processes); // each process shows its own progress
            } else {
                try (ProgressBar bar = new ProgressBarBuilder().setTaskName("rounds")
                        .setInitialMax((long) methods.size() * s.rounds()).setStyle(ProgressBarStyle.ASCII)
                        .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(1000).build()) {
                    results = experiment.run(methods, rm -> {
                        bar.step();
                        bar.setExtraMessage(String.format(" %s r%d eval %.3f", rm.method(), rm.round(), rm.evalLoss()));
                    });
                }
            }
            ScaleStudy scale = new ScaleStudy(scaleShape, ctx.fleet(), s);
            List<org.memsfl.sim.timing.RoundTimeComparison> times = new java.util.ArrayList<>();
            times.add(scale.timeComparison());
            for (String f : timeFleets) {
                times.add(new ScaleStudy(scaleShape, org.memsfl.fleet.Fleets.resolve(f), s).timeComparison());
            }
            Map<String, Object> settings = new java.util.LinkedHashMap<>(s.toMap());
            settings.put("cuts", ctx.cuts());
            if (generation != null) {
                settings.put("generation", generation.toMap());
            }
            ReportInput input = Reports.input(title, settings, results, scale);
            ReportWriter.write(out, input, times);
            Map<String, Object> scaleJson = new java.util.LinkedHashMap<>();
            scaleJson.put("model", scaleShape);
            scaleJson.put("cuts", scale.plan().cuts());
            scaleJson.put("device_weights", s.deviceWeights().id());
            scaleJson.put("rows", input.scale().stream().map(ReportInput.ScaleRow::toMap).toList());
            scaleJson.put("round_time_by_policy", input.roundTimeByPolicy());
            scaleJson.put("round_time_comparison", times.stream().map(t -> t.toMap()).toList());
            Json.write(out.resolve("scale.json"), scaleJson);
            if (json) {
                System.out.println(Json.pretty(Json.MAPPER.convertValue(
                        readSummary(out), Object.class)));
            } else {
                System.out.println(TextTable.render(input));
                System.out.println();
                System.out.println("At the " + scaleShape + " shape (cost model, cuts " + scale.plan().cuts()
                        + ", device layers stored as " + s.deviceWeights().id() + "):");
                System.out.println(TextTable.renderScale(input.scale()));
                System.out.println();
                System.out.println("Round time (cost model, one round with " + s.localSteps() + " local steps):");
                times.forEach(t -> System.out.println("  " + t.line()));
                System.out.println();
                if (input.methods().size() > 1) {
                    System.out.println("Did memsfl win? (ratio = memsfl / baseline)");
                    System.out.println(TextTable.renderAnswer(input));
                    System.out.println();
                }
                if (generation != null) {
                    System.out.println("Task quality of generated answers (final round; per device: each device's own"
                            + " held-out prompts):");
                    System.out.println(TextTable.renderQuality(input));
                    System.out.println();
                }
                System.out.println("wrote " + out.resolve("report.html") + ", summary.json, metrics.jsonl, manifest.json"
                        + (generation == null ? "" : ", predictions.jsonl, metrics.json"));
            }
            return Main.EXIT_OK;
        }
    }

    private static Object readSummary(Path out) {
        try {
            return Json.MAPPER.readTree(out.resolve("summary.json").toFile());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
