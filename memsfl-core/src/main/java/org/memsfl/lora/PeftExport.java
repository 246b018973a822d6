package org.memsfl.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;

/**
 * Exports an adapter set in the Hugging Face PEFT layout ({@value #CONFIG_FILE} + {@value #TENSORS_FILE}), so
 * {@code PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), dir)} reproduces memsfl's adapted
 * model.
 *
 * <p>Layout facts this relies on (PEFT's {@code tuners/lora/layer.py}):
 * <ul>
 * <li>Saved keys drop the adapter name: {@code <module path>.lora_A.weight} / {@code .lora_B.weight}, and for an
 *     embedding {@code <module path>.lora_embedding_A} / {@code lora_embedding_B}; module paths are prefixed with
 *     {@code base_model.model.} (the {@code LoraModel} wrapping the {@code *ForCausalLM}).</li>
 * <li>{@code lora_A} is an {@code nn.Linear(in, r)} and {@code lora_B} an {@code nn.Linear(r, out)}, so their weights
 *     are (r, in) and (out, r): exactly memsfl's A and B. For GPT-2's Conv1D, {@code fan_in_fan_out=true} makes
 *     PEFT transpose the <em>base</em> weight (stored (in, out)) and the merged delta, not the LoRA matrices, so
 *     A and B keep the same layout there.</li>
 * <li>The embedding update is {@code embedding(ids, A^T) B^T * scale} with A (r, vocab) and B (dim, r), as memsfl's.</li>
 * <li>Scale is {@code lora_alpha / r} per module, where {@code rank_pattern} / {@code alpha_pattern} override r and
 *     alpha for modules whose name matches a key ({@code (.*\.)?key$}).</li>
 * </ul>
 *
 * <p>GPT-2's q, k and v are row slices of one Conv1D {@code c_attn}, which PEFT adapts as a single module. With k of
 * the three slices targeted, the exact equivalent is one c_attn LoRA of rank k*r: A stacks the slices' A matrices
 * (slice s owns rows [s*r, (s+1)*r)), and B (3*dim, k*r) places each slice's B at that slice's output rows
 * ([0, d) for q, [d, 2d) for k, [2d, 3d) for v) in the slice's own column block, zeros elsewhere, so
 * {@code B A} restricted to a slice's rows is that slice's {@code B_s A_s}. alpha is multiplied by k as well so the
 * scale alpha/r is unchanged; when other modules keep rank r, c_attn's rank and alpha go into the patterns instead.
 */
public final class PeftExport {

    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String TENSORS_FILE = "adapter_model.safetensors";

    private static final Set<String> OWNED = Set.of(CONFIG_FILE, TENSORS_FILE);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> QKV = List.of("q", "k", "v");

    private PeftExport() {
    }

    /**
     * Writes {@code outDir} (created, or replaced when it holds only a previous export). Tensors keep the adapters'
     * dtype (float32 for trained adapters).
     *
     * <p>When the set covers only some layers and no embedding, {@code layers_to_transform} restricts PEFT to them;
     * with an embedding adapter PEFT's layer filter would also drop the embedding, so there all layers are targeted
     * and the absent ones keep PEFT's initialisation, whose update is exactly zero (B, or the embedding's A, is zero).
     *
     * @param baseModelName the Hugging Face id or path of the base model ({@code base_model_name_or_path}); may be
     *                      null
     */
    public static void export(AdapterSet adapters, ModelConfig model, Path outDir, String baseModelName) {
        if (adapters.isEmpty()) {
            throw new IllegalArgumentException("refusing to export an empty adapter set to " + outDir);
        }
        AdapterIO.validateAgainst(adapters, model);
        Plan plan = plan(adapters, model);
        String config = configJson(adapters.config(), model, plan, baseModelName);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (NoGradGuard ng = new NoGradGuard()) {
            tensors.putAll(tensors(adapters, model, plan));
            AdapterDirs.write(outDir, OWNED, tmp -> {
                // "format": "pt" is what safetensors.torch.save_file writes; some Hugging Face loaders require it
                SafetensorsWriter.write(tmp.resolve(TENSORS_FILE), tensors, Map.of("format", "pt"));
                Files.writeString(tmp.resolve(CONFIG_FILE), config, StandardCharsets.UTF_8);
            });
        } finally {
            tensors.values().forEach(Tensor::close);
        }
    }

    /** PEFT's name for a memsfl module ({@code target_modules} entry and the module path's tail). */
    static String peftModule(ModelFamily family, String module) {
        if (family == ModelFamily.LLAMA) {
            switch (module) {
                case "q": return "self_attn.q_proj";
                case "k": return "self_attn.k_proj";
                case "v": return "self_attn.v_proj";
                case "qkv": return "self_attn.qkv_proj";
                case "gate_up": return "mlp.gate_up_proj";
                case "o": return "self_attn.o_proj";
                case "gate": return "mlp.gate_proj";
                case "up": return "mlp.up_proj";
                case "down": return "mlp.down_proj";
                case LoraModules.EMBEDDING: return "embed_tokens";
                default: break;
            }
        } else {
            switch (module) {
                case "q": case "k": case "v": return "attn.c_attn";
                case "c_proj": return "attn.c_proj";
                case "c_fc": return "mlp.c_fc";
                case "mlp_c_proj": return "mlp.c_proj";
                case LoraModules.EMBEDDING: return "wte";
                default: break;
            }
        }
        throw new IllegalArgumentException("no PEFT module for " + family + " module '" + module + "'");
    }

    /**
     * The {@code target_modules} entry: the shortest suffix that picks exactly this module. PEFT matches a list entry
     * when the module path equals it or ends with "." + it; gpt2's two {@code c_proj} need their parent to tell
     * attention from MLP apart.
     */
    static String targetName(ModelFamily family, String module) {
        String full = peftModule(family, module);
        if (family == ModelFamily.GPT2 && (module.equals("c_proj") || module.equals("mlp_c_proj"))) {
            return full;
        }
        return full.substring(full.lastIndexOf('.') + 1);
    }

    private static String prefix(ModelFamily family) {
        return family == ModelFamily.LLAMA ? "base_model.model.model." : "base_model.model.transformer.";
    }

    private static String layerPath(ModelFamily family, int layer, String module) {
        String block = family == ModelFamily.LLAMA ? "layers." : "h.";
        return prefix(family) + block + layer + "." + peftModule(family, module);
    }

    /** How the set maps onto PEFT modules: which q/k/v slices share c_attn, in which order. */
    private record Plan(List<String> qkvSlices, List<String> targetModules, List<Integer> layers,
                        boolean allLayers) {
    }

    private static Plan plan(AdapterSet adapters, ModelConfig model) {
        ModelFamily f = model.family();
        List<String> slices = new ArrayList<>();
        if (f == ModelFamily.GPT2) {
            // the config's targets, not each layer's keys, fix the slice order, so every layer's c_attn has one rank
            for (String s : QKV) {
                if (adapters.config().targets().contains(s)) {
                    slices.add(s);
                }
            }
        }
        Set<String> modules = new LinkedHashSet<>();
        for (String key : adapters.asMap().keySet()) {
            modules.add(LoraModules.moduleOf(key));
        }
        Set<String> targets = new LinkedHashSet<>();
        for (String m : LoraModules.of(model)) {
            if (modules.contains(m)) {
                targets.add(targetName(f, m));
            }
        }
        if (modules.contains(LoraModules.EMBEDDING)) {
            targets.add(targetName(f, LoraModules.EMBEDDING));
        }
        List<Integer> layers = AdapterIO.layersOf(adapters.asMap().keySet());
        return new Plan(slices, new ArrayList<>(targets), layers, layers.size() == model.nLayers());
    }

    private static String configJson(LoraConfig lora, ModelConfig model, Plan plan, String baseModelName) {
        ModelFamily f = model.family();
        int r = lora.rank();
        double alpha = lora.alpha();
        int k = plan.qkvSlices().size();
        boolean cAttn = plan.targetModules().contains("c_attn");
        ObjectNode rankPattern = JSON.createObjectNode();
        ObjectNode alphaPattern = JSON.createObjectNode();
        int topRank = r;
        double topAlpha = alpha;
        if (cAttn && k > 1) {
            if (plan.targetModules().size() == 1) {
                topRank = k * r;
                topAlpha = k * alpha;
            } else {
                rankPattern.put("c_attn", k * r);
                putNumber(alphaPattern, "c_attn", k * alpha);
            }
        }
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModelName);
        c.put("r", topRank);
        putNumber(c, "lora_alpha", topAlpha);
        c.put("lora_dropout", lora.dropout());
        ArrayNode tm = c.putArray("target_modules");
        plan.targetModules().forEach(tm::add);
        c.put("bias", "none");
        c.put("fan_in_fan_out", f == ModelFamily.GPT2);
        c.put("inference_mode", true);
        c.putNull("modules_to_save");
        c.put("init_lora_weights", true);
        c.put("use_rslora", false);
        c.set("rank_pattern", rankPattern);
        c.set("alpha_pattern", alphaPattern);
        boolean hasEmbedding = plan.targetModules().contains(targetName(f, LoraModules.EMBEDDING));
        if (plan.allLayers() || hasEmbedding || plan.layers().isEmpty()) {
            c.putNull("layers_to_transform");
            c.putNull("layers_pattern");
        } else {
            ArrayNode l = c.putArray("layers_to_transform");
            plan.layers().forEach(l::add);
            c.put("layers_pattern", f == ModelFamily.LLAMA ? "layers" : "h");
        }
        c.put("revision", (String) null);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + CONFIG_FILE, e);
        }
    }

    /** PEFT writes lora_alpha as an int; keep that form when the value is integral, so strict readers accept it. */
    private static void putNumber(ObjectNode node, String field, double v) {
        if (v == Math.rint(v) && Math.abs(v) < Integer.MAX_VALUE) {
            node.put(field, (int) v);
        } else {
            node.put(field, v);
        }
    }

    private static Map<String, Tensor> tensors(AdapterSet adapters, ModelConfig model, Plan plan) {
        ModelFamily f = model.family();
        Map<String, Tensor> out = new LinkedHashMap<>();
        LoraWeights emb = adapters.embedding();
        if (emb != null) {
            String p = prefix(f) + peftModule(f, LoraModules.EMBEDDING);
            out.put(p + ".lora_embedding_A", emb.a().detach().contiguous().clone());
            out.put(p + ".lora_embedding_B", emb.b().detach().contiguous().clone());
        }
        for (int layer : plan.layers()) {
            for (String m : LoraModules.of(model)) {
                if (plan.qkvSlices().contains(m)) {
                    continue; // the fused c_attn is written once per layer below
                }
                LoraWeights w = adapters.get(layer, m);
                if (w != null) {
                    String p = layerPath(f, layer, m);
                    out.put(p + ".lora_A.weight", w.a().detach().contiguous().clone());
                    out.put(p + ".lora_B.weight", w.b().detach().contiguous().clone());
                }
            }
            if (!plan.qkvSlices().isEmpty()) {
                fusedCAttn(adapters, model, layer, plan.qkvSlices(), out);
            }
        }
        return out;
    }

    private static void fusedCAttn(AdapterSet adapters, ModelConfig model, int layer, List<String> slices,
                                   Map<String, Tensor> out) {
        List<LoraWeights> present = new ArrayList<>();
        for (String s : slices) {
            present.add(adapters.get(layer, s));
        }
        if (present.stream().allMatch(w -> w == null)) {
            return;
        }
        LoraWeights any = present.stream().filter(w -> w != null).findFirst().orElseThrow();
        int r = adapters.config().rank();
        long d = model.dim();
        int k = slices.size();
        TensorOptions opt = new TensorOptions(any.a().scalar_type());
        Tensor bCat = torch.zeros(new long[] {3 * d, (long) k * r}, opt);
        TensorVector as = new TensorVector();
        for (int i = 0; i < k; i++) {
            LoraWeights w = present.get(i);
            if (w == null) {
                // a targeted slice this layer lacks: zero rows in A and a zero block in B add nothing
                as.push_back(torch.zeros(new long[] {r, d}, opt));
                continue;
            }
            as.push_back(w.a().detach());
            long row = QKV.indexOf(slices.get(i)) * d;
            bCat.narrow(0, row, d).narrow(1, (long) i * r, r).copy_(w.b().detach());
        }
        String p = layerPath(ModelFamily.GPT2, layer, "q");
        out.put(p + ".lora_A.weight", torch.cat(as, 0).contiguous());
        out.put(p + ".lora_B.weight", bCat);
    }
}
