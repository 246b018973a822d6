package org.memsfl.lora;

import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;

/**
 * Where an adapter's update lands in the frozen weights: the Hugging Face weight name and the block of output rows
 * (gpt2's q, k and v are row slices of the fused {@code c_attn}).
 *
 * @param weightName Hugging Face name of the (out, in) weight
 * @param rowOffset  first output row the update touches
 * @param rows       number of output rows
 */
public record WeightSlot(String weightName, long rowOffset, long rows) {

    public static WeightSlot of(ModelConfig c, String key) {
        String module = LoraModules.moduleOf(key);
        int layer = LoraModules.layerOf(key);
        int[] shape = LoraModules.shape(c, module);
        if (layer < 0) {
            return new WeightSlot(c.family() == ModelFamily.LLAMA ? "model.embed_tokens.weight" : "wte.weight", 0,
                    c.vocabSize());
        }
        if (c.family() == ModelFamily.LLAMA) {
            String p = "model.layers." + layer + ".";
            String name;
            switch (module) {
                case "q": name = p + "self_attn.q_proj.weight"; break;
                case "k": name = p + "self_attn.k_proj.weight"; break;
                case "v": name = p + "self_attn.v_proj.weight"; break;
                case "qkv": name = p + "self_attn.qkv_proj.weight"; break;
                case "gate_up": name = p + "mlp.gate_up_proj.weight"; break;
                case "o": name = p + "self_attn.o_proj.weight"; break;
                case "gate": name = p + "mlp.gate_proj.weight"; break;
                case "up": name = p + "mlp.up_proj.weight"; break;
                default: name = p + "mlp.down_proj.weight"; break;
            }
            return new WeightSlot(name, 0, shape[1]);
        }
        String p = "h." + layer + ".";
        long d = c.dim();
        switch (module) {
            case "q": return new WeightSlot(p + "attn.c_attn.weight", 0, d);
            case "k": return new WeightSlot(p + "attn.c_attn.weight", d, d);
            case "v": return new WeightSlot(p + "attn.c_attn.weight", 2 * d, d);
            case "c_proj": return new WeightSlot(p + "attn.c_proj.weight", 0, d);
            case "c_fc": return new WeightSlot(p + "mlp.c_fc.weight", 0, shape[1]);
            default: return new WeightSlot(p + "mlp.c_proj.weight", 0, d);
        }
    }
}
