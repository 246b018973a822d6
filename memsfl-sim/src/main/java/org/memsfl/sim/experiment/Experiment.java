package org.memsfl.sim.experiment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.engine.Engine;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;
import org.memsfl.round.HeldOutEval;
import org.memsfl.sim.SimContext;
import org.memsfl.settings.RunSettings;
import org.memsfl.sim.method.CostInputs;
import org.memsfl.sim.method.FederatedMethod;
import org.memsfl.sim.method.MethodSpec;
import org.memsfl.sim.method.Methods;
import org.memsfl.sim.method.RoundOutcome;
import org.memsfl.sim.timing.RoundClock;
import org.memsfl.train.TaskEvalPlan;
import org.memsfl.train.TaskEvaluator;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.util.Json;
import org.memsfl.util.RunManifest;

/**
 * Runs methods one after another on the same context (same frozen model, partition, seeds), evaluating the
 * global adapters after every round, and writes manifest.json, metrics.jsonl and summary.json into the output
 * directory. Memory and round time come from the cost models; wall time is measured.
 */
public final class Experiment {

    /** Every registered method's id, in registry order ({@link Methods#ALL}). */
    public static final List<String> METHODS = Methods.ids();

    private final SimContext ctx;
    private final Path out;
    private final Consumer<String> log;
    private final TaskEvalPlan generation;
    private final HeldOutEval eval;
    private Map<String, List<HeldOutPrompt>> heldOut;

    public Experiment(SimContext ctx, Path out, Consumer<String> log) {
        this(ctx, out, log, null);
    }

    /**
     * @param generation when and how to evaluate by generation (task metrics, per-device quality); null: loss only.
     *                   Predictions of the final round go to predictions.jsonl (one line per prompt and method),
     *                   their scores to metrics.json, both beside summary.json.
     */
    public Experiment(SimContext ctx, Path out, Consumer<String> log, TaskEvalPlan generation) {
        this.ctx = ctx;
        this.out = out;
        this.log = log;
        this.generation = generation;
        this.eval = ctx.run().heldOut();
    }

    /**
     * Runs a method somewhere else, in a process of its own ({@link #runAlone} there), and hands back what that
     * process wrote ({@link MethodRun#read}).
     */
    @FunctionalInterface
    public interface MethodLauncher {
        /**
         * @param index  the method's place in the run, from 1
         * @param method the method's id
         * @param dir    the method's own directory (created, empty), where its process writes its files
         */
        MethodRun launch(int index, String method, Path dir);
    }

    /** Runs the named methods in this process; {@code onRound} is told of every finished round (progress bars). */
    public List<MethodResult> run(List<String> methods, Consumer<RoundMetrics> onRound) {
        return run(methods, onRound, null);
    }

    /**
     * Runs the named methods, each in a process of its own when {@code launcher} is given and there are several
     * (so that no method's wall time depends on what ran before it in the same process: JIT profiles, the native
     * heap), else one after another in this process after one untimed memsfl round. Either way the same files are
     * written with the same numbers (wall times aside): each method starts from the run's seed.
     *
     * @param launcher null: in this process; else each method's process, whose directory is {@code out/methods/<id>}
     */
    public List<MethodResult> run(List<String> methods, Consumer<RoundMetrics> onRound, MethodLauncher launcher) {
        RunSettings s = ctx.settings();
        RunManifest.write(out, "simulate", settingsWithPlan(), s.seed());
        Path metrics = out.resolve("metrics.jsonl");
        deleteIfExists(metrics);
        prepareGeneration();
        boolean isolated = launcher != null && methods.size() > 1;
        double warmUp = !isolated && methods.size() > 1 ? warmUp(Methods.OURS.id()) : 0;
        List<MethodResult> results = new ArrayList<>();
        for (String name : methods) {
            if (isolated) {
                MethodRun run = launcher.launch(results.size() + 1, name, freshDir(out.resolve("methods").resolve(name)));
                warmUp += run.warmUpS();
                collect(run.result(), metrics, onRound);
                results.add(run.result());
            } else {
                results.add(runOne(name, metrics, onRound));
            }
        }
        Map<String, Object> methodsJson = new LinkedHashMap<>();
        for (MethodResult r : results) {
            methodsJson.put(r.name(), r.toSummary());
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("methods", methodsJson);
        summary.put("warm_up_s", warmUp);
        summary.put("settings", s.toMap());
        summary.put("cuts", ctx.cuts());
        if (generation != null) {
            summary.put("generation", generation.toMap());
            writeTaskFiles(results);
        }
        Json.write(out.resolve("summary.json"), summary);
        return results;
    }

    /**
     * The body of a method's own process: one untimed round of the method and one evaluation, then the method's timed
     * rounds, written to this experiment's directory as metrics.jsonl (its rounds) and {@link MethodRun#FILE}.
     */
    public MethodRun runAlone(String name, Consumer<RoundMetrics> onRound) {
        Path metrics = out.resolve("metrics.jsonl");
        deleteIfExists(metrics);
        prepareGeneration();
        double warmUp = warmUp(name);
        MethodRun run = new MethodRun(runOne(name, metrics, onRound), warmUp);
        run.write(out);
        return run;
    }

    /** The held-out prompts of the generation evaluation, checked before any method runs. */
    private void prepareGeneration() {
        if (generation == null) {
            return;
        }
        heldOut = eval.prompts(ctx::deviceOfPartition, generation.promptsPerDevice());
        int n = heldOut.values().stream().mapToInt(List::size).sum();
        if (n == 0) {
            throw new org.memsfl.util.BadInputException("--generate: data " + ctx.settings().data() + " has no held-out"
                    + " prompts (plain text has nothing to answer)");
        }
        log.accept("generation: " + n + " held-out prompts over " + heldOut.size() + " devices, every "
                + (generation.everyRounds() == 0 ? "final" : generation.everyRounds() + " and the final") + " round");
    }

    /** A method run in another process, recorded as if it had run here: its rounds appended to metrics.jsonl. */
    private void collect(MethodResult r, Path metrics, Consumer<RoundMetrics> onRound) {
        for (RoundMetrics rm : r.rounds()) {
            Json.appendLine(metrics, rm.toMap());
            onRound.accept(rm);
        }
    }

    /**
     * One round of a throwaway {@code method} and one evaluation, before any method is timed: the first method would
     * otherwise pay the JIT's and libtorch's warm-up in its wall time, so that the order of the methods changed their
     * wall times. Every method then starts from the same seeds and fresh data samplers, so this changes no result.
     *
     * @return the warm-up's seconds (reported, counted in no method's wall time)
     */
    private double warmUp(String method) {
        RunSettings s = ctx.settings();
        long start = System.nanoTime();
        Engine.seed(s.seed());
        MethodSpec spec = Methods.of(method);
        try (FederatedMethod m = spec.start(ctx, participants(spec))) {
            m.round(1);
            eval.loss(m.globalAdapters());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        log.accept(String.format(java.util.Locale.ROOT, "warm-up: one %s round and one evaluation, %.1f s (timed in"
                + " no method)", method, seconds));
        return seconds;
    }

    /** The devices that take part in {@code spec}'s rounds: the run's participants less those it drops. */
    private List<String> participants(MethodSpec spec) {
        List<String> dropped = spec.dropped(spec.memory(planShapeCosts(), false), ctx.plan());
        List<String> participants = new ArrayList<>();
        for (org.memsfl.fleet.DeviceProfile d : ctx.participants()) {
            if (!dropped.contains(d.id())) {
                participants.add(d.id());
            }
        }
        return participants;
    }

    private static void deleteIfExists(Path file) {
        try {
            java.nio.file.Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code dir} created and emptied of an earlier run's files (an --overwrite run reuses the output directory). */
    private static Path freshDir(Path dir) {
        try {
            if (java.nio.file.Files.isDirectory(dir)) {
                try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
                    for (Path f : files.toList()) {
                        java.nio.file.Files.delete(f);
                    }
                }
            }
            return java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot prepare " + dir + ": " + e.getMessage(), e);
        }
    }

    private MethodResult runOne(String name, Path metrics, Consumer<RoundMetrics> onRound) {
        RunSettings s = ctx.settings();
        Engine.seed(s.seed());
        MemoryModel mm = ctx.memoryModel();
        RoundClock clock = new RoundClock(ctx.loaded().config(), ctx.lora(), ctx.delayModel(), ctx.fleet(), s.localSteps(),
                s.seed());
        Map<String, Integer> cuts = ctx.cuts();
        MethodSpec spec = Methods.of(name);
        CostInputs costs = new CostInputs(mm, ctx.fleet(), cuts, s.scheduler(), s.safetyMargin(), s.deviceWeights());
        List<String> dropped = spec.dropped(spec.memory(planShapeCosts(), false), ctx.plan());
        List<String> participants = participants(spec);
        FederatedMethod method = spec.start(ctx, participants);
        MethodMemory memory = spec.memory(costs, s.serverRecompute());
        // a sequential split server's rounds are timed as they were served (RoundOutcome.simRoundTimeS); the cost
        // model's round time only for the other methods, whose rounds have no serving order
        double modeled = Double.NaN;
        List<RoundMetrics> rounds = new ArrayList<>();
        long up = 0;
        long down = 0;
        double evalLoss = Double.NaN;
        TaskEvaluator.Result task = null;
        long start = System.nanoTime();
        try (FederatedMethod m = method) {
            for (int r = 1; r <= s.rounds(); r++) {
                RoundOutcome o = m.round(r);
                evalLoss = eval.loss(m.globalAdapters());
                TaskEvaluator.Result roundTask = null;
                if (eval.due(generation, r)) {
                    roundTask = eval.generate(m.globalAdapters(), heldOut, generation);
                    task = roundTask;
                }
                up += o.bytesUp();
                down += o.bytesDown();
                if (o.schedule() == null && Double.isNaN(modeled)) {
                    modeled = spec.roundTime(clock, costs, participants, s.serverRecompute());
                }
                RoundMetrics rm = new RoundMetrics(name, r, o.trainLoss(), evalLoss,
                        o.schedule() != null ? o.simRoundTimeS() : modeled, (System.nanoTime() - start) / 1e9,
                        o.bytesUp(), o.bytesDown(), memory.serverPeak(), memory.maxDevicePeak(), o.participants(),
                        o.serveOrder(), RoundMetrics.slots(o.schedule()),
                        roundTask == null ? Map.of() : roundTask.metrics());
                Json.appendLine(metrics, rm.toMap());
                rounds.add(rm);
                onRound.accept(rm);
            }
        }
        double wall = (System.nanoTime() - start) / 1e9;
        log.accept(String.format("%s: final eval loss %.4f, %.1f s wall", name, evalLoss, wall)
                + (task == null ? "" : ", task " + task.metrics()));
        return new MethodResult(name, rounds, memory, RoundMetrics.meanRoundTime(rounds), wall, evalLoss, up, down,
                dropped, task);
    }

    /** predictions.jsonl (final round, every method) and metrics.json (task metrics and per-device quality). */
    private void writeTaskFiles(List<MethodResult> results) {
        Map<String, TaskEvaluator.Result> byMethod = new LinkedHashMap<>();
        for (MethodResult r : results) {
            if (r.task() != null) {
                byMethod.put(r.name(), r.task());
            }
        }
        eval.writeTaskFiles(out, generation, byMethod);
    }

    /**
     * The cost inputs at the planning shape (the shape the split methods' cuts come from), where a method's dropped
     * devices are judged (fedlora: those that cannot hold the whole model).
     */
    private CostInputs planShapeCosts() {
        RunSettings s = ctx.settings();
        ModelConfig shape = s.planShape() == null ? ctx.loaded().config() : ModelResolver.resolveConfig(s.planShape());
        MemoryModel mm = MemoryModel.of(shape, s.lora().forPlan(ctx.loaded().config(), shape), s.batchSize(), s.seqLen());
        Plan p = Planner.plan(mm, ctx.fleet(), s.safetyMargin(), s.serverRecompute(), s.deviceWeights());
        return new CostInputs(mm, ctx.fleet(), p.cuts(), s.scheduler(), s.safetyMargin(), s.deviceWeights());
    }

    private Map<String, Object> settingsWithPlan() {
        Map<String, Object> m = new LinkedHashMap<>(ctx.settings().toMap());
        m.put("template_name", ctx.templateName());
        m.put("cuts", ctx.cuts());
        m.put("plan", ctx.plan().toMap());
        return m;
    }
}
