package org.memsfl.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.memsfl.engine.DType;
import org.memsfl.quant.WeightStorage;
import org.memsfl.split.WireFormat;

/**
 * The one settings record (issue 9): its builder starts every field at {@link Defaults}, it refuses each bad value
 * with a message naming the field and what is allowed, and its manifest map has the keys simulate's manifest.json has
 * always had.
 */
class RunSettingsTest {

    @Test
    void theBuilderStartsFromTheDefaults() {
        RunSettings s = RunSettings.builder().build();
        assertThat(s.model()).isEqualTo(Defaults.MODEL);
        assertThat(s.planShape()).isNull();
        assertThat(s.data()).isEqualTo(Defaults.DATA);
        assertThat(s.partition()).isEqualTo(Defaults.PARTITION);
        assertThat(s.fleet()).isEqualTo(Defaults.FLEET);
        assertThat(s.rounds()).isEqualTo(4);
        assertThat(s.localSteps()).isEqualTo(8);
        assertThat(s.scheduler()).isEqualTo("best");
        assertThat(s.aggregation()).isEqualTo("fedavg");
        assertThat(s.batchSize()).isEqualTo(4);
        assertThat(s.seqLen()).isEqualTo(128);
        assertThat(s.lora()).isEqualTo(Defaults.lora());
        assertThat(s.lr()).isEqualTo(3e-3);
        assertThat(s.warmup()).isEqualTo(5);
        assertThat(s.maxGradNorm()).isEqualTo(1.0);
        assertThat(s.evalExamples()).isEqualTo(96);
        assertThat(s.safetyMargin()).isEqualTo(0.1);
        assertThat(s.wire()).isEqualTo(WireFormat.FP32);
        assertThat(s.seed()).isZero();
        assertThat(s.serverRecompute()).isTrue();
        assertThat(s.dtype()).isEqualTo(DType.F32);
        assertThat(s.template()).isEqualTo("auto");
        assertThat(s.deviceWeights()).isEqualTo(WeightStorage.FP32);
        assertThat(s.toBuilder().build()).isEqualTo(s);
        assertThat(s.roundSettings().schedule().lr()).isEqualTo(s.lr());
    }

    @Test
    void eachBadValueIsRefusedNamingItsField() {
        refused(b -> b.rounds(0), "rounds must be > 0, got 0");
        refused(b -> b.localSteps(-1), "local steps must be > 0, got -1");
        refused(b -> b.batchSize(0), "batch size must be > 0, got 0");
        refused(b -> b.seqLen(0), "sequence length must be > 0, got 0");
        refused(b -> b.evalExamples(0), "eval examples must be > 0, got 0");
        refused(b -> b.lr(0), "learning rate must be a finite number > 0, got 0.0");
        refused(b -> b.lr(Double.POSITIVE_INFINITY), "learning rate must be a finite number > 0, got Infinity");
        refused(b -> b.warmup(-1), "warm-up steps must be >= 0, got -1");
        refused(b -> b.maxGradNorm(Double.NaN), "max grad norm must be a finite number >= 0 (0 = no clipping), got NaN");
        refused(b -> b.safetyMargin(-0.1), "safety margin must be a finite number >= 0, got -0.1");
        refused(b -> b.scheduler("sjf"), "scheduler must be one of [fcfs, random, schrage, exact, critical, best], got 'sjf'");
        refused(b -> b.dtype(DType.I8), "compute dtype must be fp32, bf16 or fp16, got I8");
        refused(b -> b.model(" "), "model must be set");
        refused(b -> b.data(null), "data must be set");
        refused(b -> b.wire(null), "wire format and device weight storage must be set");
        refused(b -> b.lora(null), "lora settings must be set");
        assertThatThrownBy(() -> RunSettings.builder().aggregation("fedsum").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("unknown aggregation strategy 'fedsum'");
        refused(b -> b.aggregation("fedtrimmedavg:x"), "fedtrimmedavg:<beta> needs a number in [0, 0.5), got 'x'");
        refused(b -> b.aggregation("fedtrimmedavg:0.7"), "fedtrimmedavg beta must be in [0, 0.5), got 0.7");
        assertThat(RunSettings.builder().aggregation("fedtrimmedavg:0.1").build().aggregation())
                .isEqualTo("fedtrimmedavg:0.1");
    }

    private static void refused(UnaryOperator<RunSettings.Builder> change, String message) {
        assertThatThrownBy(() -> change.apply(RunSettings.builder()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void theManifestMapHasSimulatesKeys() {
        RunSettings s = RunSettings.builder().planShape("random:gpt2-medium").wire(WireFormat.INT8).build();
        // simulate's manifest.json keys before the one record, plus wire_bytes (the edge server's)
        assertThat(s.toMap()).containsOnlyKeys("model", "plan_shape", "data", "partition", "fleet", "rounds",
                "local_steps", "scheduler", "server_recompute", "aggregation", "batch_size", "seq_len", "lora_rank",
                "lora_alpha", "lora_dropout", "lora_targets", "lr", "warmup", "max_grad_norm", "eval_examples",
                "safety_margin", "wire_dtype", "wire_bytes", "device_weights", "dtype", "seed", "template");
        assertThat(s.toMap()).containsEntry("wire_dtype", "int8").containsEntry("wire_bytes", 1)
                .containsEntry("dtype", "fp32").containsEntry("plan_shape", "random:gpt2-medium")
                .containsEntry("lora_targets", List.of("q", "k", "v", "o"));
        assertThat(RunSettings.SIMULATED_FLEET_KEYS).allSatisfy(k -> assertThat(s.toMap()).containsKey(k));
    }
}
