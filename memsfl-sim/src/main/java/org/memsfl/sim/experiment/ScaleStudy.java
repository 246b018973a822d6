package org.memsfl.sim.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.cost.DelayModel;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.cost.TrainingMethod;
import org.memsfl.fleet.Fleet;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;
import org.memsfl.schedule.Policies;
import org.memsfl.schedule.RoundResult;
import org.memsfl.schedule.ServerSlot;
import org.memsfl.sim.SimSettings;
import org.memsfl.sim.report.ReportInput;
import org.memsfl.sim.timing.RoundClock;

/**
 * The methods at a larger model shape from the cost models alone (no training): each method's server and device
 * peaks, its simulated round time, memsfl's round time under every scheduling policy, and the Gantt chart of
 * memsfl's server for one round.
 */
public final class ScaleStudy {

    private final String modelSpec;
    private final ModelConfig model;
    private final Fleet fleet;
    private final SimSettings s;
    private final Plan plan;
    private final MemoryModel memory;
    private final org.memsfl.lora.LoraConfig lora;
    private final RoundClock clock;

    public ScaleStudy(String modelSpec, Fleet fleet, SimSettings s) {
        this.modelSpec = modelSpec;
        this.model = ModelResolver.resolveConfig(modelSpec);
        this.fleet = fleet;
        this.s = s;
        this.lora = s.lora().forShape(model);
        this.memory = MemoryModel.of(model, lora, s.batchSize(), s.seqLen());
        this.plan = Planner.plan(memory, fleet, s.safetyMargin());
        this.clock = new RoundClock(model, lora, new DelayModel(model, lora, s.batchSize(), s.seqLen(), s.wireBytes()),
                fleet, s.localSteps(), s.seed());
    }

    public List<ReportInput.ScaleRow> rows() {
        Map<String, Integer> cuts = plan.cuts();
        List<ReportInput.ScaleRow> rows = new ArrayList<>();
        for (String m : Experiment.METHODS) {
            TrainingMethod tm = TrainingMethod.of(m);
            MethodMemory mm = MethodMemory.of(tm, memory, fleet, cuts, s.safetyMargin(), s.serverRecompute());
            double t;
            switch (m) {
                case "memsfl": t = clock.sequentialRound(cuts, s.scheduler(), s.serverRecompute()); break;
                case "sfl-v1": t = clock.parallelRound(cuts); break;
                case "splitlora": t = clock.sequentialRound(minCuts(cuts), "fcfs"); break;
                case "fedlora": {
                    List<String> in = new ArrayList<>();
                    fleet.devices().forEach(d -> {
                        if (!mm.dropped().contains(d.id())) {
                            in.add(d.id());
                        }
                    });
                    t = clock.localRound(in);
                    break;
                }
                default: t = clock.centralizedRound(cuts.size()); break;
            }
            List<String> dropped = new ArrayList<>(mm.dropped());
            plan.notFitting().forEach(d -> {
                if (!dropped.contains(d.deviceId())) {
                    dropped.add(d.deviceId());
                }
            });
            rows.add(new ReportInput.ScaleRow(m, modelSpec, mm.serverPeak(), mm.maxDevicePeak(), t,
                    m.equals("centralized") ? List.of() : dropped, Reports.categories(mm.server())));
            if (m.equals("memsfl") && s.serverRecompute()) {
                // the method as published, beside the default, so the recompute's share of the saving is visible
                MethodMemory plain = MethodMemory.of(tm, memory, fleet, cuts, s.safetyMargin(), false);
                rows.add(new ReportInput.ScaleRow("memsfl (no recompute)", modelSpec, plain.serverPeak(),
                        plain.maxDevicePeak(), clock.sequentialRound(cuts, s.scheduler(), false), dropped,
                        Reports.categories(plain.server())));
            }
        }
        return rows;
    }

    /** memsfl's simulated round time under each scheduling policy. */
    public Map<String, Double> roundTimeByPolicy() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String p : Policies.NAMES) {
            out.put(p, clock.sequentialRound(plan.cuts(), p, s.serverRecompute()));
        }
        return out;
    }

    /** memsfl's round time under its scheduler against FCFS order and SFL-V1's parallel server, at this shape. */
    public org.memsfl.sim.timing.RoundTimeComparison timeComparison() {
        return org.memsfl.sim.timing.RoundTimeComparison.of(clock, plan.cuts(), fleet.name(), modelSpec,
                s.scheduler(), s.serverRecompute());
    }

    /** The server's schedule of one memsfl round under the configured policy. */
    public List<ReportInput.GanttSlot> gantt() {
        List<String> ids = new ArrayList<>(plan.cuts().keySet());
        RoundResult r = clock.sequential(plan.cuts(), Policies.of(s.scheduler()), s.serverRecompute());
        List<ReportInput.GanttSlot> out = new ArrayList<>();
        for (ServerSlot slot : r.slots()) {
            out.add(new ReportInput.GanttSlot(ids.get(slot.device()), slot.step(), slot.start(), slot.end()));
        }
        return out;
    }

    public Plan plan() {
        return plan;
    }

    public String modelSpec() {
        return modelSpec;
    }

    static Map<String, Integer> minCuts(Map<String, Integer> cuts) {
        int min = cuts.values().stream().mapToInt(Integer::intValue).min().orElse(1);
        Map<String, Integer> out = new LinkedHashMap<>();
        cuts.keySet().forEach(k -> out.put(k, min));
        return out;
    }
}
