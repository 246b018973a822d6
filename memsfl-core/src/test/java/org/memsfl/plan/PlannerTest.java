package org.memsfl.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memsfl.cost.MemoryModel;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.fleet.ServerProfile;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.util.Json;

class PlannerTest {

    private static final LoraConfig QV8 = new LoraConfig(8, 16, 0.0, List.of("q", "v"));
    private static final ModelConfig MEDIUM = ModelPresets.get("gpt2-medium");
    private static final ServerProfile SERVER = new ServerProfile(30e12, 24L << 30);
    private final MemoryModel medium = MemoryModel.of(MEDIUM, QV8, 4, 128);

    @Test
    void picksTheLargestCutThatFitsWithTheMargin() {
        // a budget of exactly cut 3's need (with the margin) gives cut 3; one byte less gives cut 2
        long need3 = (long) Math.ceil(medium.device(3).total() * 1.1);
        assertThat(Planner.device(medium, device("x", need3), 0.1).cut()).isEqualTo(3);
        assertThat(Planner.device(medium, device("x", need3 - 1), 0.1).cut()).isEqualTo(2);
        // cut 4's bare need fits without a margin, not with 10%
        long bare4 = medium.device(4).total();
        assertThat(Planner.device(medium, device("x", bare4), 0.0).cut()).isEqualTo(4);
        assertThat(Planner.device(medium, device("x", bare4), 0.1).cut()).isLessThan(4);
    }

    @Test
    void biggerBudgetsNeverGetSmallerCuts() {
        Fleet random = Fleets.random(40, 3);
        Plan plan = Planner.plan(medium, random, 0.1);
        List<DevicePlan> byBudget = new ArrayList<>(plan.devices());
        byBudget.sort(Comparator.comparingLong(DevicePlan::budgetBytes));
        for (int i = 1; i < byBudget.size(); i++) {
            assertThat(byBudget.get(i).cut()).isGreaterThanOrEqualTo(byBudget.get(i - 1).cut());
        }
        // and a sweep from 300 MiB to 8 GiB in 50 MiB steps
        int previous = 0;
        for (long mib = 300; mib <= 8192; mib += 50) {
            int cut = Planner.device(medium, device("s", mib << 20), 0.1).cut();
            assertThat(cut).isGreaterThanOrEqualTo(previous);
            previous = cut;
        }
        assertThat(previous).isEqualTo(MEDIUM.nLayers() - 1);
    }

    @Test
    void aDeviceTooSmallIsReportedNotDropped() {
        Fleet f = new Fleet("f", List.of(device("tiny", 100L << 20), device("ok", 1L << 30)), SERVER);
        Plan plan = Planner.plan(medium, f, 0.1);
        DevicePlan tiny = plan.device("tiny").orElseThrow();
        assertThat(tiny.fits()).isFalse();
        assertThat(tiny.cut()).isZero();
        assertThat(tiny.headroomBytes()).isNegative();
        assertThat(tiny.reason()).matches("does not fit: cut 1 of 24 needs \\d+\\.\\d\\d MiB with 10% margin, budget"
                + " 100\\.00 MiB");
        assertThat(plan.cuts()).containsOnlyKeys("ok");
        assertThat(plan.notFitting()).containsExactly(tiny);
        assertThat(PlanTable.render(plan)).contains("tiny").contains("none").contains("does not fit");
    }

    @Test
    void reasonExplainsTheNextCut() {
        DevicePlan p = Planner.device(medium, device("p", 3L << 29), 0.1);
        assertThat(p.reason()).matches("cut \\d+ of 24: 1\\.\\d\\d GiB needed with 10% margin, budget 1\\.50 GiB; cut \\d+"
                + " would need 1\\.\\d\\d GiB");
        assertThat(p.reason()).startsWith("cut " + p.cut() + " of 24").contains("cut " + (p.cut() + 1) + " would need");
        DevicePlan big = Planner.device(medium, device("big", 64L << 30), 0.1);
        assertThat(big.cut()).isEqualTo(23);
        assertThat(big.reason()).endsWith("the largest cut a split allows (the server keeps at least one layer)");
    }

    @Test
    void paper5PlansAtGpt2MediumAndStories260K() {
        Fleet paper = Fleets.preset("paper-5");
        Plan m = Planner.plan(MEDIUM, QV8, 4, 128, paper, 0.1);
        System.out.print(PlanTable.render(m));
        List<Integer> cuts = new ArrayList<>(m.cuts().values());
        assertThat(cuts).hasSize(5).isSorted();
        assertThat(cuts.get(0)).isLessThan(cuts.get(4));
        Plan s = Planner.plan(ModelPresets.get("stories260K"), QV8, 4, 128, paper, 0.1);
        System.out.print(PlanTable.render(s));
        // a 5-layer model of ~1 MiB fits every device up to the last cut
        assertThat(s.cuts()).containsExactlyInAnyOrderEntriesOf(Map.of("phone-low", 4, "phone-mid", 4, "phone-high", 4,
                "tablet-mid", 4, "tablet-high", 4));
    }

    @Test
    void planMapIsJsonReady() {
        Plan plan = Planner.plan(medium, Fleets.preset("paper-5"), 0.1);
        Map<String, Object> map = plan.toMap();
        assertThat(map).containsKeys("fleet", "n_layers", "batch", "seq_len", "safety_margin", "devices");
        String json = Json.compact(map);
        assertThat(json).contains("\"device\":\"phone-low\"").contains("\"frozen_weights\":").contains("\"reason\":");
    }

    @Test
    void rejectsNegativeMargin() {
        assertThatThrownBy(() -> Planner.plan(medium, Fleets.preset("paper-5"), -0.1)).hasMessageContaining("safetyMargin");
    }

    private static DeviceProfile device(String id, long budget) {
        return new DeviceProfile(id, budget, 1e12, 1e6, 4e6, 0.02);
    }

    /**
     * The server check: paper-5 at gpt2-medium needs one frozen model (1.32 GiB) plus five devices' server-side
     * adapters and one workspace; a server.memory of 1 GiB is refused with the numbers, and the need computed by
     * hand (the same categories through MethodMemory) sits exactly at the boundary the planner draws.
     */
    @Test
    void aServerThatCannotHoldTheFleetIsRefusedWithTheNumbers() {
        Fleet paper = Fleets.resolve("paper-5");
        Plan ok = Planner.plan(medium, paper, 0.1);
        ServerPlan s = ok.server();
        assertThat(s.fits()).isTrue();
        assertThat(s.maxDevices()).isEqualTo(5);
        assertThat(s.memory().frozenWeights()).isEqualTo(medium.frozenBytes(org.memsfl.model.LayerRange.all(24)));
        assertThat(s.shares()).hasSize(5).allSatisfy((id, bytes) -> assertThat(bytes).isPositive());
        assertThat(s.neededBytes()).isEqualTo((long) Math.ceil(s.memory().total() * 1.1));

        Fleet small = new Fleet("small-server", paper.devices(), new ServerProfile(30e12, 1L << 30));
        assertThatThrownBy(() -> Planner.plan(medium, small, 0.1))
                .isInstanceOf(org.memsfl.util.BadInputException.class)
                .hasMessageContaining("fleet small-server: the edge server cannot hold it")
                .hasMessageContaining("server.memory is 1.00 GiB")
                .hasMessageContaining("one frozen model 1.32 GiB")
                .hasMessageContaining("holds 0 of 5 devices");
        // exactly the need fits; one byte less holds four of the five devices at most
        Fleet exact = new Fleet("exact", paper.devices(), new ServerProfile(30e12, s.neededBytes()));
        assertThat(Planner.plan(medium, exact, 0.1).server().headroomBytes()).isZero();
        Fleet tight = new Fleet("tight", paper.devices(), new ServerProfile(30e12, s.neededBytes() - 1));
        assertThatThrownBy(() -> Planner.plan(medium, tight, 0.1)).hasMessageContaining("it holds 4 of 5 devices");
        // the count takes the smallest server shares first: a budget for the frozen model and tablet-mid's one server
        // layer holds one device, though phone-low (first in the fleet, 20 server layers) alone would not fit
        long oneDevice = (long) Math.ceil(org.memsfl.cost.MethodMemory.memsfl(medium, paper, java.util.Map.of(
                "tablet-mid", 23), 0, true).server().total() * 1.1);
        Fleet one = new Fleet("one", paper.devices(), new ServerProfile(30e12, oneDevice));
        assertThat(Planner.plan(medium, paper, 0.1).cuts()).containsEntry("tablet-mid", 23).containsEntry("phone-low", 4);
        assertThatThrownBy(() -> Planner.plan(medium, one, 0.1))
                .hasMessageContaining("it holds 1 of 5 devices (those with the smallest server shares: tablet-mid)");
        assertThatThrownBy(() -> Planner.plan(medium, small, 0.1))
                .hasMessageContaining("(the frozen model with the smallest server share, tablet-mid's, alone needs");
        // the table prints each device's server share and the server's row
        String table = PlanTable.render(ok);
        assertThat(table).contains("server share").contains("edge server").contains("headroom");
    }
}
