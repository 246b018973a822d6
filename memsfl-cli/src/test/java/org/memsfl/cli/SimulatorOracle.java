package org.memsfl.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.engine.Engine;
import org.memsfl.fed.Aggregators;
import org.memsfl.lora.AdapterIO;
import org.memsfl.lora.LoraConfig;
import org.memsfl.schedule.Policies;
import org.memsfl.sim.SimContext;
import org.memsfl.settings.RunSettings;
import org.memsfl.sim.method.SplitFederatedMethod;
import org.memsfl.train.Evaluator;
import org.memsfl.util.Json;

/**
 * The oracle of {@link MultiProcessDeploymentTest}: the simulator's memsfl method (the whole fleet in one JVM), run as
 * a child JVM with the same thread settings as the deployment's processes. Writes the final global adapters to
 * {@code <out>/adapter} and the cuts and per-round eval losses to {@code <out>/oracle.json}.
 *
 * <p>Usage: {@code SimulatorOracle <fleet file> <out dir>}.
 */
public final class SimulatorOracle {

    /** The deployment's settings, as the server and device command lines of the test spell them. */
    static final LoraConfig LORA = new LoraConfig(4, 8, 0, List.of("q", "v"));
    static final int ROUNDS = 2;
    static final int LOCAL_STEPS = 2;
    static final int BATCH_SIZE = 2;
    static final int SEQ_LEN = 48;
    static final double LR = 3e-3;
    static final int WARMUP = 1;
    static final double MAX_GRAD_NORM = 1.0;
    static final int EVAL_EXAMPLES = 8;
    static final double SAFETY_MARGIN = 0.1;
    static final long SEED = 7;

    private SimulatorOracle() {
    }

    static RunSettings settings(String fleetFile) {
        return RunSettings.builder().model("stories260K").planShape("random:gpt2-medium").data("dolly")
                .partition("natural").fleet(fleetFile).rounds(ROUNDS).localSteps(LOCAL_STEPS).scheduler("fcfs")
                .aggregation("fedavg").batchSize(BATCH_SIZE).seqLen(SEQ_LEN).lora(LORA).lr(LR).warmup(WARMUP)
                .maxGradNorm(MAX_GRAD_NORM).evalExamples(EVAL_EXAMPLES).safetyMargin(SAFETY_MARGIN)
                .wire(org.memsfl.split.WireFormat.FP32).seed(SEED).build();
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Engine.init();
        Path out = Path.of(args[1]);
        try {
            java.nio.file.Files.createDirectories(out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        List<Double> eval = new ArrayList<>();
        try (SimContext ctx = new SimContext(settings(args[0]));
             SplitFederatedMethod m = new SplitFederatedMethod(SplitFederatedMethod.Variant.MEMSFL, ctx,
                     Aggregators.of("fedavg"), Policies.of("fcfs"))) {
            result.put("participants", ctx.participants().stream().map(d -> d.id()).toList());
            result.put("cuts", new LinkedHashMap<>(ctx.cuts()));
            for (int r = 1; r <= ROUNDS; r++) {
                m.round(r);
                eval.add(Evaluator.evaluate(ctx.loaded().model(), m.globalAdapters(), ctx.evalBatches()).loss());
                System.err.println("oracle: round " + r + " eval loss " + eval.get(r - 1));
            }
            AdapterIO.save(m.globalAdapters(), out.resolve("adapter"), Map.of("method", "memsfl", "transport", "sim"));
        }
        result.put("eval_loss", eval);
        Json.write(out.resolve("oracle.json"), result);
        System.exit(0);
    }
}
