package org.memsfl.lora;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * LoRA hyper-parameters. The update is {@code (alpha / rank) * B A x} with A (rank x in) and B (out x rank).
 *
 * @param rank    r, the inner size of the update
 * @param alpha   scale numerator; the update is scaled by alpha / rank
 * @param dropout dropout on the adapter's input while training, in [0, 1)
 * @param targets module names (see {@link LoraModules}), e.g. q and v
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets) {

    public LoraConfig {
        if (rank <= 0) {
            throw new IllegalArgumentException("lora rank must be > 0, got " + rank);
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("lora alpha must be > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
        }
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("lora targets must name at least one module, e.g. q,v");
        }
        Set<String> unique = new TreeSet<>(targets);
        if (unique.size() != targets.size()) {
            throw new IllegalArgumentException("lora targets repeat a module: " + targets);
        }
        targets = List.copyOf(targets);
    }

    /** Rank 8, alpha 16, no dropout, q and v: the LoRA paper's GPT-2 setting. */
    public static LoraConfig defaults() {
        return new LoraConfig(8, 16, 0.0, List.of("q", "v"));
    }

    /**
     * The same adapters named for another family (for sizing a plan at another model's shape): llama o, gate/up and
     * down correspond to gpt2 c_proj, c_fc and mlp_c_proj, and back.
     */
    public LoraConfig forFamily(org.memsfl.model.ModelFamily family) {
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        for (String t : targets) {
            if (family == org.memsfl.model.ModelFamily.GPT2) {
                switch (t) {
                    case "o": out.add("c_proj"); break;
                    case "gate": case "up": out.add("c_fc"); break;
                    case "down": out.add("mlp_c_proj"); break;
                    default: out.add(t); break;
                }
            } else {
                switch (t) {
                    case "c_proj": out.add("o"); break;
                    case "c_fc": out.add("up"); break;
                    case "mlp_c_proj": out.add("down"); break;
                    default: out.add(t); break;
                }
            }
        }
        return new LoraConfig(rank, alpha, dropout, List.copyOf(out));
    }

    /**
     * The same adapters with targets named as this model names them ({@link LoraModules#resolve}): the one resolution
     * of {@code --lora-targets} in every command, so the same names are accepted everywhere and none is mapped across
     * families silently.
     *
     * @throws org.memsfl.util.BadInputException naming the targets, the module and the model's modules
     */
    public LoraConfig forModel(org.memsfl.model.ModelConfig model) {
        try {
            return new LoraConfig(rank, alpha, dropout, LoraModules.resolve(model, targets));
        } catch (IllegalArgumentException e) {
            throw new org.memsfl.util.BadInputException("lora targets " + targets + ": " + e.getMessage(), e);
        }
    }

    /**
     * The adapters a plan sizes: {@link #forModel} for the trained model, and when the plan is made at another shape
     * ({@code --plan-shape}) the same modules named for that shape's family, fused Phi-3 modules counted as their
     * parts. So checkpoint names such as {@code qkv_proj} plan as they train.
     *
     * @throws org.memsfl.util.BadInputException when the targets do not name modules of the trained model
     */
    public LoraConfig forPlan(org.memsfl.model.ModelConfig trained, org.memsfl.model.ModelConfig planShape) {
        LoraConfig t = forModel(trained);
        if (planShape.equals(trained)) {
            return t;
        }
        return t.forShape(planShape);
    }

    /**
     * These adapters' modules named for a shape the run does not train (a plan or cost table at another model's
     * size): a checkpoint's names as memsfl's ({@code q_proj} as q, {@code embed_tokens} as embed), fused Phi-3
     * modules as their parts, then {@link #forFamily}. Not a validation: use {@link #forModel} for the trained model.
     */
    public LoraConfig forShape(org.memsfl.model.ModelConfig shape) {
        java.util.LinkedHashSet<String> parts = new java.util.LinkedHashSet<>();
        for (String t : targets) {
            String m = t.equals("embed_tokens") ? LoraModules.EMBEDDING
                    : t.endsWith("_proj") && !t.equals("c_proj") && !t.equals("mlp_c_proj")
                    ? t.substring(0, t.length() - "_proj".length()) : t;
            switch (m) {
                case "qkv" -> parts.addAll(List.of("q", "k", "v"));
                case "gate_up" -> parts.addAll(List.of("gate", "up"));
                default -> parts.add(m);
            }
        }
        return new LoraConfig(rank, alpha, dropout, List.copyOf(parts)).forFamily(shape.family());
    }

    /** The settings as manifests record them: lora_rank, lora_alpha, lora_dropout, lora_targets, in that order. */
    public java.util.Map<String, Object> toSettings() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("lora_rank", rank);
        m.put("lora_alpha", alpha);
        m.put("lora_dropout", dropout);
        m.put("lora_targets", targets);
        return m;
    }

    public double scale() {
        return alpha / rank;
    }

    public boolean targetsEmbedding() {
        return targets.contains(LoraModules.EMBEDDING);
    }
}
