package org.memsfl.sim.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.memsfl.cost.DelayModel;
import org.memsfl.cost.MemoryModel;
import org.memsfl.cost.MethodMemory;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.plan.Plan;
import org.memsfl.plan.Planner;
import org.memsfl.quant.WeightStorage;
import org.memsfl.sim.timing.RoundClock;
import org.memsfl.util.BadInputException;

/**
 * The registry is the one list of methods: every registered method answers every piece (memory, round time, dropped
 * devices) at the paper's shape (gpt2-medium over paper-5, cost models only, no training; starting each method is
 * {@code ExperimentTest}'s), ids are unique, and lookups name the known ids.
 */
class MethodsTest {

    static final LoraConfig QV8 = new LoraConfig(8, 16, 0.0, List.of("q", "v"));

    @Test
    void everyRegisteredMethodHasAllItsPieces() {
        ModelConfig medium = ModelPresets.get("gpt2-medium");
        Fleet fleet = Fleets.preset("paper-5");
        MemoryModel mm = MemoryModel.of(medium, QV8, 4, 128);
        Plan plan = Planner.plan(mm, fleet, 0.1);
        CostInputs c = new CostInputs(mm, fleet, plan.cuts(), "exact", 0.1, WeightStorage.FP32);
        RoundClock clock = new RoundClock(medium, QV8, new DelayModel(medium, QV8, 4, 128, 4), fleet, 2, 7);
        assertThat(Methods.ALL).hasSizeGreaterThanOrEqualTo(5);
        for (MethodSpec m : Methods.ALL) {
            assertThat(m.id()).as("id of %s", m.getClass().getSimpleName()).matches("[a-z][a-z0-9-]*");
            MethodMemory memory = m.memory(c, true);
            assertThat(memory).as(m.id()).isNotNull();
            assertThat(memory.serverPeak()).as(m.id() + " server peak").isPositive();
            List<String> dropped = m.dropped(memory, plan);
            assertThat(dropped).as(m.id() + " dropped").isNotNull()
                    .allMatch(id -> fleet.device(id).isPresent());
            List<String> in = fleet.devices().stream().map(d -> d.id()).filter(id -> !dropped.contains(id)).toList();
            double t = m.roundTime(clock, c, in, true);
            assertThat(t).as(m.id() + " round time").isPositive().isFinite();
            assertThat(Methods.of(m.id())).isSameAs(m);
        }
    }

    @Test
    void idsAreUniqueAndTheRolesTheReportNeedsAreTaken() {
        Set<String> seen = new HashSet<>();
        for (MethodSpec m : Methods.ALL) {
            assertThat(seen.add(m.id())).as("duplicate id " + m.id()).isTrue();
        }
        assertThat(Methods.ALL.get(0)).isSameAs(Methods.OURS);
        assertThat(Methods.ALL).anyMatch(MethodSpec::qualityReference).anyMatch(MethodSpec::serverHoldsOnlyAdapters);
        assertThat(Methods.OURS.qualityReference()).isFalse();
    }

    @Test
    void theSplitMethodsDropWhatThePlannerCouldNotCut() {
        // every split method drops exactly the devices the planner found no cut for; centralized drops no one
        Fleet fleet = Fleets.preset("paper-5");
        MemoryModel mm = MemoryModel.of(ModelPresets.get("gpt2-medium"), QV8, 4, 128);
        Plan plan = Planner.plan(mm, fleet, 0.1);
        List<String> notFitting = plan.notFitting().stream().map(d -> d.deviceId()).toList();
        CostInputs c = new CostInputs(mm, fleet, plan.cuts(), "exact", 0.1, WeightStorage.FP32);
        for (String id : List.of("memsfl", "sfl-v1", "splitlora")) {
            MethodSpec m = Methods.of(id);
            assertThat(m.dropped(m.memory(c, false), plan)).as(id).isEqualTo(notFitting);
        }
        assertThat(Methods.of("centralized").dropped(Methods.of("centralized").memory(c, false), plan)).isEmpty();
        MethodSpec fed = Methods.of("fedlora");
        assertThat(fed.dropped(fed.memory(c, false), plan)).isEqualTo(fed.memory(c, false).dropped());
        assertThat(SplitLoraSpec.minCuts(Map.of("a", 3))).containsEntry("a", 3);
    }

    @Test
    void unknownIdsAreRefusedNamingTheKnownOnes() {
        assertThatThrownBy(() -> Methods.of("sfl")).isInstanceOf(BadInputException.class)
                .hasMessage("unknown method 'sfl'; expected one of memsfl, sfl-v1, splitlora, fedlora, centralized");
        assertThat(Methods.find("sfl")).isNull();
    }
}
