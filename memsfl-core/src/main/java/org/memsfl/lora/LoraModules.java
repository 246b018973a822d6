package org.memsfl.lora;

import java.util.List;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;

/**
 * The modules of each family that LoRA can wrap, and their (in, out) sizes. gpt2's fused {@code c_attn} is
 * adapted per slice ({@code q}, {@code k}, {@code v}) as the LoRA paper did for GPT-2; {@code mlp_c_proj} names the
 * MLP's output projection so it is not confused with the attention's {@code c_proj}.
 */
public final class LoraModules {

    public static final String EMBEDDING = "embed";
    public static final List<String> LLAMA = List.of("q", "k", "v", "o", "gate", "up", "down");
    public static final List<String> GPT2 = List.of("q", "k", "v", "c_proj", "c_fc", "mlp_c_proj");
    /** Phi-3's fused projections, named as the checkpoint (and PEFT) name them: qkv_proj, o_proj, gate_up_proj, down_proj. */
    public static final List<String> PHI3 = List.of("qkv", "o", "gate_up", "down");

    private LoraModules() {
    }

    public static List<String> of(ModelFamily family) {
        return family == ModelFamily.LLAMA ? LLAMA : GPT2;
    }

    /** The modules this model has: {@link #PHI3} for fused Phi-3 blocks, else its family's. */
    public static List<String> of(ModelConfig c) {
        return c.variant().style().fused() ? PHI3 : of(c.family());
    }

    /**
     * The targets under memsfl's module names for this model, the one resolution every command uses (finetune,
     * simulate, compare, server). The llama names q,k,v,o,gate,up,down name the corresponding modules of both
     * families (for gpt2: the c_attn slices, c_proj, c_fc, mlp_c_proj; gpt2's MLP has no gate, so {@code gate} is
     * refused there); gpt2's own names are accepted for gpt2 models only; a llama checkpoint's own names are accepted
     * too ({@code q_proj}, {@code qkv_proj}, {@code gate_up_proj}, {@code embed_tokens}, ...). Nothing is mapped
     * across families silently. On a checkpoint with fused projections (Phi-3) PEFT can adapt only the whole
     * {@code qkv_proj} and {@code gate_up_proj}, so the full sets q,k,v and gate,up name them; a part of either set
     * is refused rather than silently widened.
     *
     * @throws IllegalArgumentException naming the module and what the model has
     */
    public static List<String> resolve(ModelConfig c, List<String> targets) {
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        boolean gpt2 = c.family() == ModelFamily.GPT2;
        for (String t : targets) {
            String m = t.endsWith("_proj") && !gpt2 ? t.substring(0, t.length() - 5) : t;
            m = m.equals("embed_tokens") ? EMBEDDING : m;
            if (gpt2) {
                if (m.equals("gate")) {
                    throw new IllegalArgumentException("'gate' is not a module of a gpt2-family model (its MLP has"
                            + " no gate); expected some of [q, k, v, o, up, down] or " + GPT2 + " or " + EMBEDDING);
                }
                m = switch (m) {
                    case "o" -> "c_proj";
                    case "up" -> "c_fc";
                    case "down" -> "mlp_c_proj";
                    default -> m;
                };
            }
            if (!out.add(m)) {
                throw new IllegalArgumentException(targets + " name the module " + m + " twice"
                        + (gpt2 ? " (on gpt2, o is c_proj, up is c_fc, down is mlp_c_proj)" : ""));
            }
        }
        if (c.family() == ModelFamily.LLAMA && c.variant().style().fused()) {
            fuse(out, List.of("q", "k", "v"), "qkv");
            fuse(out, List.of("gate", "up"), "gate_up");
        }
        for (String m : out) {
            if (!m.equals(EMBEDDING)) {
                shape(c, m); // names the module and the model's list when unknown
            }
        }
        return List.copyOf(out);
    }

    private static void fuse(java.util.LinkedHashSet<String> set, List<String> parts, String fused) {
        long present = parts.stream().filter(set::contains).count();
        if (present == 0) {
            return;
        }
        if (present != parts.size()) {
            throw new IllegalArgumentException("this checkpoint fuses " + String.join(", ", parts) + " into " + fused
                    + "_proj, which LoRA (as PEFT) adapts as one module; target " + fused + " (or all of "
                    + String.join(",", parts) + "), not " + parts.stream().filter(set::contains).toList());
        }
        java.util.LinkedHashSet<String> rebuilt = new java.util.LinkedHashSet<>();
        for (String m : set) {
            rebuilt.add(parts.contains(m) ? fused : m); // the fused module takes the place of its first part
        }
        set.clear();
        set.addAll(rebuilt);
    }

    /** {in, out} of a layer module, or {vocab, dim} for the embedding. */
    public static int[] shape(ModelConfig c, String module) {
        int d = c.dim();
        int h = c.hiddenDim();
        if (module.equals(EMBEDDING)) {
            return new int[] {c.vocabSize(), d};
        }
        if (c.family() == ModelFamily.LLAMA && c.variant().style().fused()) {
            switch (module) {
                case "qkv": return new int[] {d, c.qDim() + 2 * c.kvDim()};
                case "o": return new int[] {c.qDim(), d};
                case "gate_up": return new int[] {d, 2 * h};
                case "down": return new int[] {h, d};
                default: break;
            }
        } else if (c.family() == ModelFamily.LLAMA) {
            switch (module) {
                case "q": return new int[] {d, c.qDim()};
                case "o": return new int[] {c.qDim(), d};
                case "k": case "v": return new int[] {d, c.kvDim()};
                case "gate": case "up": return new int[] {d, h};
                case "down": return new int[] {h, d};
                default: break;
            }
        } else {
            switch (module) {
                case "q": case "k": case "v": case "c_proj": return new int[] {d, d};
                case "c_fc": return new int[] {d, h};
                case "mlp_c_proj": return new int[] {h, d};
                default: break;
            }
        }
        throw new IllegalArgumentException("unknown LoRA target module '" + module + "' for a "
                + c.family().name().toLowerCase(java.util.Locale.ROOT) + "-family model; expected one of "
                + (c.family() == ModelFamily.GPT2 ? "[q, k, v, o, up, down] or " : "") + of(c) + " or " + EMBEDDING);
    }

    /** Adapter key of a layer module, e.g. {@code layers.3.q}. */
    public static String key(int layer, String module) {
        return "layers." + layer + "." + module;
    }

    /** Layer index of a key, or -1 for the embedding. */
    public static int layerOf(String key) {
        if (key.equals(EMBEDDING)) {
            return -1;
        }
        int dot = key.indexOf('.', 7);
        return Integer.parseInt(key.substring(7, dot));
    }

    public static String moduleOf(String key) {
        if (key.equals(EMBEDDING)) {
            return EMBEDDING;
        }
        return key.substring(key.indexOf('.', 7) + 1);
    }
}
