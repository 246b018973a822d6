package org.memsfl.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;
import org.memsfl.quant.QuantizedWeight;
import org.memsfl.quant.WeightStorage;
import org.memsfl.engine.SafetensorsSource;
import org.memsfl.engine.SafetensorsSource.TensorInfo;
import org.memsfl.util.BadInputException;

/**
 * Loads a Hugging Face model directory: {@code config.json} ({@link HfConfigParser}) plus {@code model.safetensors}
 * or a sharded {@code model.safetensors.index.json} (the safetensors format: 8-byte little-endian header length,
 * JSON header, raw little-endian data). Only the tensors of the requested {@link LayerRange} are read, so a device
 * holding layers {@code [0, cut)} never allocates the rest of the model.
 *
 * <p>GPT-2 checkpoints: names may carry the {@code transformer.} prefix of {@code GPT2LMHeadModel}; the four
 * projections are {@code Conv1D} modules stored (in, out) and are transposed here to the (out, in) linear layout
 * {@link DecoderModel} holds; causal-mask buffers ({@code attn.bias}, {@code attn.masked_bias}) and a saved
 * {@code lm_head.weight} (always tied to {@code wte}) are ignored. Llama-family checkpoints: {@code rotary_emb.inv_freq}
 * buffers are ignored. Any other tensor the architecture does not use (an {@code o_proj} bias, q/k norms in a type
 * without them, a fused {@code qkv_proj} outside Phi-3) is refused, since computing without it would give a different
 * model; which tensors a type has is {@link LlamaModel#shapes}.
 */
public final class HfModelLoader {

    private static final String GPT2_PREFIX = "transformer.";
    private static final Pattern GPT2_CONV1D = Pattern.compile("h\\.\\d+\\.(attn\\.c_attn|attn\\.c_proj|mlp\\.c_fc|mlp\\.c_proj)\\.weight");
    private static final Pattern GPT2_BUFFER = Pattern.compile("h\\.\\d+\\.attn\\.(bias|masked_bias)");
    private static final Pattern LLAMA_BUFFER = Pattern.compile(".*rotary_emb\\.inv_freq");

    private HfModelLoader() {
    }

    /** The model's config, without touching the weights. */
    public static ModelConfig readConfig(Path dir) {
        requireDirectory(dir);
        return HfConfigParser.read(dir);
    }

    /**
     * Loads the part {@code range} of the model in {@code dir}, converting weights to {@code compute}.
     *
     * @throws BadInputException naming the directory or file: missing directory/config/weights, unknown architecture,
     *         shapes that disagree with the config, NaN/Inf weights, malformed safetensors
     */
    public static DecoderModel load(Path dir, LayerRange range, DType compute) {
        return load(dir, range, compute, null);
    }

    /**
     * As {@link #load(Path, LayerRange, DType)}, each layer's projection weight stored as {@code storage} the moment
     * it is read (null: none), as {@link DecoderModel#quantizeLayers} would store it afterwards: loading then holds
     * the stored model plus one float tensor, never the whole float model beside its quantized copy.
     */
    public static DecoderModel load(Path dir, LayerRange range, DType compute, WeightStorage storage) {
        ModelConfig config = readConfig(dir);
        if (range.to() > config.nLayers()) {
            throw new BadInputException(dir + ": layer range [" + range.from() + ", " + range.to() + ") exceeds the "
                    + config.nLayers() + " layers of " + HfConfigParser.CONFIG_FILE);
        }
        Map<String, long[]> wanted = Models.shapes(config, range);
        Map<String, Tensor> loaded = new LinkedHashMap<>();
        Map<String, QuantizedWeight> stored = new LinkedHashMap<>();
        boolean done = false;
        try (SafetensorsSource src = SafetensorsSource.open(dir)) {
            Map<String, String> storedNames = canonicalNames(src, config);
            for (Map.Entry<String, long[]> e : wanted.entrySet()) {
                String name = e.getKey();
                String storedName = storedNames.get(name);
                if (storedName == null) {
                    continue; // DecoderModel names the missing tensor together with the directory
                }
                boolean conv1d = isGpt2Conv1D(config, name);
                checkShape(src, storedName, conv1d, e.getValue(), dir);
                Tensor t = src.load(storedName);
                if (conv1d) {
                    Tensor linear = t.t().contiguous();
                    t.close();
                    t = linear;
                }
                if (DecoderModel.storedAs(storage, compute, name, e.getValue())) {
                    try {
                        stored.put(name, DecoderModel.quantizeAsRead(dir.toString(), name, t, storage, compute));
                    } finally {
                        t.close(); // the float copy goes before the next tensor is read
                    }
                } else {
                    loaded.put(name, t);
                }
            }
            DecoderModel model = Models.create(config, range, loaded, stored, compute, dir.toString());
            // tensors converted to the compute dtype were copied; free the stored-dtype originals now, not at GC
            for (Map.Entry<String, Tensor> e : loaded.entrySet()) {
                if (model.weights().get(e.getKey()) != e.getValue()) {
                    e.getValue().close();
                }
            }
            done = true;
            return model;
        } finally {
            if (!done) {
                loaded.values().forEach(Tensor::close);
                stored.values().forEach(QuantizedWeight::close);
            }
        }
    }

    /** Whether {@code name} (canonical, without prefix) is a GPT-2 Conv1D weight stored (in, out). */
    static boolean isGpt2Conv1D(ModelConfig config, String name) {
        return config.family() == ModelFamily.GPT2 && GPT2_CONV1D.matcher(name).matches();
    }

    /**
     * Maps the names memsfl uses to the stored names, after checking that every stored tensor is either used by the
     * architecture or a known buffer. Checked over the whole model, not just the range, so that every device of a
     * federation accepts or refuses a checkpoint alike.
     */
    private static Map<String, String> canonicalNames(SafetensorsSource src, ModelConfig config) {
        Set<String> used = Models.shapes(config, LayerRange.all(config.nLayers())).keySet();
        Map<String, String> out = new LinkedHashMap<>();
        for (String storedName : src.names()) {
            String name = storedName;
            if (config.family() == ModelFamily.GPT2 && name.startsWith(GPT2_PREFIX)) {
                name = name.substring(GPT2_PREFIX.length());
            }
            if (used.contains(name)) {
                String previous = out.put(name, storedName);
                if (previous != null) {
                    throw new BadInputException(src.path() + ": tensor '" + name + "' is stored twice, as '" + previous
                            + "' and '" + storedName + "'");
                }
            } else if (!ignorable(config, name)) {
                throw new BadInputException(src.path() + ": tensor '" + storedName + "' is not part of memsfl's "
                        + config.family().name().toLowerCase() + " architecture for this config; expected only "
                        + (config.family() == ModelFamily.GPT2 ? "GPT-2"
                                : config.variant().style().name().toLowerCase() + "-style")
                        + " weights (unsupported variant, or a model_type that does not match the tensors?)");
            }
        }
        if (config.family() == ModelFamily.LLAMA && !config.tiedEmbeddings() && !out.containsKey("lm_head.weight")) {
            throw new BadInputException(src.path() + ": tie_word_embeddings is false in " + HfConfigParser.CONFIG_FILE
                    + " but the checkpoint has no lm_head.weight");
        }
        return out;
    }

    private static boolean ignorable(ModelConfig config, String name) {
        if (config.family() == ModelFamily.GPT2) {
            // lm_head.weight of GPT2LMHeadModel is the same parameter as wte.weight
            return GPT2_BUFFER.matcher(name).matches() || name.equals("lm_head.weight");
        }
        // a tied model may still have saved its head; it equals the embedding by construction
        return LLAMA_BUFFER.matcher(name).matches() || (config.tiedEmbeddings() && name.equals("lm_head.weight"));
    }

    /** Compares the header's shape with the config's before reading data, so a mismatch costs no I/O. */
    private static void checkShape(SafetensorsSource src, String storedName, boolean conv1d, long[] expected, Path dir) {
        TensorInfo info = src.info(storedName);
        long[] shape = info.shape();
        long[] asLinear = conv1d && shape.length == 2 ? new long[] {shape[1], shape[0]} : shape;
        if (!Arrays.equals(asLinear, expected)) {
            long[] expectedStored = conv1d ? new long[] {expected[1], expected[0]} : expected;
            throw new BadInputException(dir + ": tensor '" + storedName + "' has shape " + Arrays.toString(shape)
                    + " but " + HfConfigParser.CONFIG_FILE + " implies " + Arrays.toString(expectedStored)
                    + (conv1d ? " (Conv1D, stored (in, out))" : ""));
        }
    }

    private static void requireDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BadInputException("model directory " + dir + " does not exist or is not a directory");
        }
    }
}
