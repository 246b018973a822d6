package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.memsfl.data.Batch;
import org.memsfl.engine.DType;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.train.AdamW;
import org.memsfl.train.LoraTrainer;
import org.memsfl.train.LrSchedule;
import org.memsfl.train.StepResult;
import org.memsfl.util.BadInputException;

/**
 * Every config key that changes a model's training maths is honoured or refused with its key and value: the dropout
 * probabilities of gpt2 and the llama family ({@link ModelDropout}), and the gpt2 and llama keys audited beside them.
 */
class DropoutConfigTest {

    static ModelConfig parse(String json) throws Exception {
        return HfConfigParser.parse(new ObjectMapper().readTree(json), "x/config.json");
    }

    static final String GPT2 = """
            {"model_type": "gpt2", "n_embd": 8, "n_layer": 1, "n_head": 2, "vocab_size": 10, "n_positions": 16""";

    @Test
    void gpt2DropoutKeysAndTheirDefaults() throws Exception {
        // GPT2Config's defaults are 0.1 each: a config without the keys trains with them, as transformers does
        assertThat(parse(GPT2 + "}").dropout()).isEqualTo(new ModelDropout(0.1, 0.1, 0.1));
        assertThat(parse(GPT2 + ", \"embd_pdrop\": 0.2, \"attn_pdrop\": 0.0, \"resid_pdrop\": 0.05}").dropout())
                .isEqualTo(new ModelDropout(0.2, 0.0, 0.05));
        assertThatThrownBy(() -> parse(GPT2 + ", \"attn_pdrop\": 1.0}")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("x/config.json").hasMessageContaining("attn_pdrop = 1.0");
        assertThatThrownBy(() -> parse(GPT2 + ", \"resid_pdrop\": -0.1}")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("resid_pdrop = -0.1");
    }

    /** The other gpt2 keys that would change the maths: refused with key and value, or shown to be harmless. */
    @Test
    void gpt2KeysThatChangeTheMathsAreRefused() throws Exception {
        assertThatThrownBy(() -> parse(GPT2 + ", \"add_cross_attention\": true}")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("add_cross_attention = true");
        assertThatThrownBy(() -> parse(GPT2 + ", \"reorder_and_upcast_attn\": true}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("reorder_and_upcast_attn = true");
        assertThat(parse(GPT2 + ", \"add_cross_attention\": false, \"reorder_and_upcast_attn\": false}").dim()).isEqualTo(8);
        // n_ctx is a leftover GPT2Model does not read: the context is n_positions, the position table's size
        assertThat(parse(GPT2 + ", \"n_ctx\": 8}").maxSeqLen()).isEqualTo(16);
    }

    @Test
    void llamaFamilyAttentionDropoutIsHonoured() throws Exception {
        String llama = """
                {"model_type": "%s", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512, "attention_dropout": 0.1""";
        for (String type : new String[] {"llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3_text"}) {
            assertThat(parse(llama.formatted(type) + ", \"head_dim\": 8}").dropout()).as(type)
                    .isEqualTo(new ModelDropout(0, 0.1, 0));
        }
        // Phi-3: resid_pdrop is honoured; embd_pdrop is read and, as in transformers' Phi3Model, applies to nothing
        assertThat(parse(llama.formatted("phi3") + ", \"resid_pdrop\": 0.2, \"embd_pdrop\": 0.3}").dropout())
                .isEqualTo(new ModelDropout(0, 0.1, 0.2));
        assertThatThrownBy(() -> parse(llama.formatted("llama") + ", \"resid_pdrop\": 0.1}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("resid_pdrop = 0.1");
        assertThatThrownBy(() -> parse(llama.formatted("qwen2") + ", \"embd_pdrop\": 0.1}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("embd_pdrop = 0.1");
        assertThatThrownBy(() -> parse(llama.formatted("phi3").replace("0.1", "1.5") + "}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("attention_dropout = 1.5");
        // pretraining_tp only splits the same matmuls into slices in older transformers: the same maths
        assertThat(parse(llama.formatted("llama") + ", \"pretraining_tp\": 2}").dim()).isEqualTo(64);
    }

    /** The writer writes the probabilities (gpt2's even when 0, since its class default is 0.1); they read back equal. */
    @Test
    void writtenConfigsReadBackWithTheirDropout() throws Exception {
        for (ModelConfig c : new ModelConfig[] {
                ModelPresets.get("tiny-gpt2"), ModelPresets.get("tiny-gpt2").withDropout(new ModelDropout(0.1, 0.2, 0.3)),
                ModelPresets.get("tiny-llama").withDropout(new ModelDropout(0, 0.25, 0)),
                ModelPresets.get("tiny-phi3").withDropout(new ModelDropout(0, 0.1, 0.2))}) {
            assertThat(HfConfigParser.parse(new ObjectMapper().readTree(HfModelWriter.configJson(c, DType.F32)), "w"))
                    .isEqualTo(c);
        }
    }

    /**
     * A real GPT-2 config.json (tiny-gpt2-random, saved by transformers 4.36.2 with 0.1 everywhere) loads with its
     * dropout and trains: 30 steps with dropout on lower the batch's evaluation loss (no dropout there).
     */
    @Test
    void realGpt2ConfigLoadsAndTrains() {
        Path dir = Assets.root().resolve("models/tiny-gpt2-random");
        try (DecoderModel m = HfModelLoader.load(dir, LayerRange.all(1), DType.F32)) {
            assertThat(m.config().dropout()).isEqualTo(new ModelDropout(0.1, 0.1, 0.1));
            AdapterSet adapters = AdapterSet.init(m.config(), new LoraConfig(4, 8, 0, java.util.List.of("q", "v", "c_fc")),
                    LayerRange.all(1), 1);
            SplittableRandom r = new SplittableRandom(3);
            long[] ids = new long[4 * 16];
            long[] tg = new long[4 * 16];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(m.config().vocabSize());
                tg[i] = r.nextInt(m.config().vocabSize());
            }
            Batch b = new Batch(ids, tg, new int[] {16, 16, 16, 16}, 4, 16);
            double before = evalLoss(m, adapters, b);
            try (LoraTrainer trainer = new LoraTrainer(m, adapters, AdamW.Settings.defaults(), LrSchedule.constant(0.05),
                    1.0, 7)) {
                for (int s = 0; s < 30; s++) {
                    StepResult res = trainer.step(b);
                    assertThat(res.loss()).isFinite();
                }
            }
            assertThat(evalLoss(m, adapters, b)).isLessThan(before);
        }
    }

    static double evalLoss(DecoderModel m, AdapterSet a, Batch b) {
        try (org.bytedeco.pytorch.NoGradGuard ng = new org.bytedeco.pytorch.NoGradGuard();
             org.memsfl.engine.NativeScope s = new org.memsfl.engine.NativeScope()) {
            Tensor logits = m.forward(org.memsfl.train.BatchTensors.inputIds(b), ForwardContext.inference(a));
            return org.memsfl.train.Loss.crossEntropy(logits, org.memsfl.train.BatchTensors.targets(b)).item().toDouble();
        }
    }
}
