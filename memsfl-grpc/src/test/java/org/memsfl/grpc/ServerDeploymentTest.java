package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.memsfl.quant.WeightStorage;
import org.memsfl.settings.RunSettings;
import org.memsfl.split.WireFormat;

/**
 * The edge server's process settings around the one {@link RunSettings}: its manifest map keeps every key the
 * server's manifest.json had before the one record (a superset, less the simulator's own data and fleet), it refuses
 * what only a deployment can get wrong, and a checkpoint that stored the wire as its element type still resumes.
 */
class ServerDeploymentTest {

    static ServerDeployment.Builder deployment(RunSettings run) {
        return ServerDeployment.builder(run).fleetSize(3).out(Path.of("out"));
    }

    @Test
    void theManifestMapKeepsTheServersKeys() {
        RunSettings run = RunSettings.builder().model("stories260K").wire(WireFormat.BF16).build();
        var m = deployment(run).evalData("dolly").build().toMap();
        assertThat(m).containsKeys("model", "plan_shape", "fleet_size", "partition", "rounds", "local_steps",
                "scheduler", "server_flops", "server_recompute", "aggregation", "batch_size", "seq_len", "lora_rank",
                "lora_alpha", "lora_dropout", "lora_targets", "lr", "warmup", "max_grad_norm", "eval_data",
                "eval_examples", "safety_margin", "wire_dtype", "wire_bytes", "dtype", "cut_override",
                "max_chunk_bytes", "step_timeout_ms", "round_timeout_ms", "seed", "min_devices", "max_num_examples",
                "max_update_norm", "clip_updates", "max_loss_ratio", "storage_retry_s", "template");
        assertThat(m).containsKeys(ServerDeployment.TRAINING_KEYS.toArray(String[]::new));
        // the simulated fleet's inputs are not the server's: its devices bring their own
        assertThat(m).doesNotContainKeys("data", "fleet").containsEntry("eval_data", "dolly")
                .containsEntry("wire_dtype", "bf16").containsEntry("wire_bytes", 2).containsEntry("fleet_size", 3)
                .containsEntry("max_update_norm", "auto");
        // every run setting the server records has the value the simulator records for it
        run.toMap().forEach((k, v) -> {
            if (!RunSettings.SIMULATED_FLEET_KEYS.contains(k)) {
                assertThat(m).containsEntry(k, v);
            }
        });
    }

    @Test
    void aDeploymentRefusesWhatOnlyItCanGetWrong() {
        RunSettings run = RunSettings.builder().build();
        assertThatThrownBy(() -> deployment(run).fleetSize(0).build()).hasMessage("fleet size must be > 0, got 0");
        assertThatThrownBy(() -> deployment(run).minDevices(4).build())
                .hasMessage("min devices 4 is above the fleet size 3: no round could reach the quorum");
        assertThatThrownBy(() -> deployment(run).stepTimeout(Duration.ZERO).build())
                .hasMessage("step timeout must be between 1 ms and 24 days, got PT0S");
        assertThatThrownBy(() -> deployment(run).cut(-1).build()).hasMessageContaining("cut must be >= 1, or 0");
        assertThatThrownBy(() -> deployment(run).generation(new org.memsfl.train.TaskEvalPlan(
                org.memsfl.train.TaskEvaluator.Settings.greedy(8, 4), 2, 0)).build())
                .hasMessage("generation-based evaluation needs held-out prompts: give 'evalData'");
        assertThatThrownBy(() -> deployment(run.toBuilder().deviceWeights(WeightStorage.NF4).build()).build())
                .hasMessageContaining("device weights nf4 are simulated only");
        assertThat(deployment(run).build().resuming().resume()).isTrue();
    }

    @Test
    void aCheckpointThatStoredTheWireAsItsElementTypeStillResumes() {
        assertThat(Checkpoint.sameSetting("wire_dtype", "fp32", "F32")).isTrue();
        assertThat(Checkpoint.sameSetting("wire_dtype", "int8", "I8")).isTrue();
        assertThat(Checkpoint.sameSetting("wire_dtype", "fp16", "F32")).isFalse();
        assertThat(Checkpoint.sameSetting("wire_dtype", "fp32", "nonsense")).isFalse();
        assertThat(Checkpoint.sameSetting("seed", 7L, 7)).isTrue();
        assertThat(Checkpoint.sameSetting("seed", 7L, 8)).isFalse();
    }
}
