package org.memsfl.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memsfl.data.Batch;
import org.memsfl.data.DataResolver;
import org.memsfl.data.Dataset;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Fleet;
import org.memsfl.fleet.Fleets;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.RunSettings;
import org.memsfl.util.BadInputException;

/**
 * The simulator's and the edge server's run, set up by the same core code from the same settings ({@link SplitRun}):
 * the same cuts (a whole fleet planned at once, or each device as it registers), prompt format, delay model, held-out
 * batches and each device's own held-out prompts, so neither transport plans, partitions or scores on its own.
 */
class SplitRunTest {

    static RunSettings settings() {
        return RunSettings.builder().model("stories260K").planShape("random:gpt2-medium").data("dolly")
                .partition("natural").fleet("paper-5").rounds(2).localSteps(1).batchSize(2).seqLen(48)
                .lora(new LoraConfig(4, 8, 0, List.of("q", "v"))).evalExamples(6).seed(7).build();
    }

    @Test
    void simulatedAndDeployedRunsAreSetUpAlike() {
        RunSettings s = settings();
        Fleet fleet = Fleets.resolve(s.fleet());
        Dataset dolly = DataResolver.resolve(s.data());
        try (SplitRun sim = SplitRun.simulated(s, fleet, dolly);
             SplitRun deployed = SplitRun.deployed(s, 0, dolly, sim.cuts().size())) {
            assertThat(sim.cuts()).hasSize(fleet.size());
            assertThat(new java.util.HashSet<>(sim.cuts().values())).as("heterogeneous cuts").hasSizeGreaterThan(1);
            for (DeviceProfile d : fleet.devices()) {
                assertThat(deployed.cutPlanner().assign(d).cut()).as(d.id()).isEqualTo(sim.cuts().get(d.id()));
            }
            assertThat(deployed.seqLen()).isEqualTo(sim.seqLen()).isEqualTo(48);
            assertThat(deployed.lora()).isEqualTo(sim.lora());
            assertThat(deployed.delay()).isEqualTo(sim.delay());
            assertThat(deployed.encoder().template()).isEqualTo(sim.encoder().template());

            List<Batch> a = sim.heldOut().batches();
            List<Batch> b = deployed.heldOut().batches();
            assertThat(a).hasSize(3).hasSameSizeAs(b);
            for (int i = 0; i < a.size(); i++) {
                assertThat(b.get(i).inputIds()).containsExactly(a.get(i).inputIds());
                assertThat(b.get(i).targets()).containsExactly(a.get(i).targets());
            }
            List<String> ids = fleet.devices().stream().map(DeviceProfile::id).toList();
            Map<String, List<HeldOutPrompt>> simPrompts = sim.heldOut().prompts(ids::get, 3);
            assertThat(simPrompts.keySet()).containsExactlyElementsOf(ids);
            assertThat(simPrompts.values()).allSatisfy(p -> assertThat(p).isNotEmpty().hasSizeLessThanOrEqualTo(3));
            assertThat(deployed.heldOut().prompts(ids::get, 3)).isEqualTo(simPrompts);
            // one partition computation serves both the devices' training data and their held-out prompts
            assertThat(sim.heldOut().partitions()).isEqualTo(DeviceData.rawPartitions(dolly, "natural", ids.size(), 7));
        }
    }

    @Test
    void aDeploymentWithoutEvalDataScoresNothingAndABadForcedCutIsBadInput() {
        RunSettings s = settings();
        try (SplitRun deployed = SplitRun.deployed(s, 2, null, 3)) {
            assertThat(deployed.heldOut().batches()).isEmpty();
            assertThat(deployed.heldOut().datasetName()).isNull();
            assertThat(deployed.cutPlanner().assign(Fleets.resolve("paper-5").devices().get(0)).cut()).isEqualTo(2);
            assertThat(deployed.plan()).isNull();
        }
        assertThatThrownBy(() -> SplitRun.deployed(s, 5, null, 3)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("cut 5 leaves the server no layer");
    }
}
