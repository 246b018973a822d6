package org.memsfl.sim.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memsfl.cost.DelayModel;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.fleet.Fleet;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelResolver;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;
import org.memsfl.schedule.Policies;
import org.memsfl.schedule.RoundResult;
import org.memsfl.schedule.ServerSlot;
import org.memsfl.settings.RunSettings;
import org.memsfl.sim.method.CostInputs;
import org.memsfl.sim.method.MethodSpec;
import org.memsfl.sim.method.Methods;
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
    private final RunSettings s;
    private final Plan plan;
    private final MemoryModel memory;
    private final org.memsfl.lora.LoraConfig lora;
    private final RoundClock clock;

    public ScaleStudy(String modelSpec, Fleet fleet, RunSettings s) {
        this.modelSpec = modelSpec;
        this.model = ModelResolver.resolveConfig(modelSpec);
        this.fleet = fleet;
        this.s = s;
        this.lora = s.lora().forShape(model);
        this.memory = MemoryModel.of(model, lora, s.batchSize(), s.seqLen());
        this.plan = Planner.plan(memory, fleet, s.safetyMargin(), s.serverRecompute(), s.deviceWeights());
        this.clock = new RoundClock(model, lora, new DelayModel(model, lora, s.batchSize(), s.seqLen(), s.wireBytes()),
                fleet, s.localSteps(), s.seed());
    }

    public List<ReportInput.ScaleRow> rows() {
        Map<String, Integer> cuts = plan.cuts();
        List<ReportInput.ScaleRow> rows = new ArrayList<>();
        CostInputs c = new CostInputs(memory, fleet, cuts, s.scheduler(), s.safetyMargin(), s.deviceWeights());
        for (MethodSpec m : Methods.ALL) {
            MethodMemory mm = m.memory(c, s.serverRecompute());
            List<String> dropped = m.dropped(mm, plan);
            List<String> in = fleet.devices().stream().map(d -> d.id()).filter(id -> !dropped.contains(id)).toList();
            double t = m.roundTime(clock, c, in, s.serverRecompute());
            rows.add(new ReportInput.ScaleRow(m.id(), modelSpec, mm.serverPeak(), mm.maxDevicePeak(), t, dropped,
                    Reports.categories(mm.server())));
            if (m.recomputes(s.serverRecompute())) {
                // the method as published, beside the default, so the recompute's share of the saving is visible
                MethodMemory plain = m.memory(c, false);
                rows.add(new ReportInput.ScaleRow(m.id() + " (no recompute)", modelSpec, plain.serverPeak(),
                        plain.maxDevicePeak(), m.roundTime(clock, c, in, false), dropped,
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
}
