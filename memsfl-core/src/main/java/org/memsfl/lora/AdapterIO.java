package org.memsfl.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.SafetensorsReader;
import org.memsfl.engine.SafetensorsSource;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.engine.Tensors;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelFamily;
import org.memsfl.util.BadInputException;

/**
 * memsfl's own adapter directory: {@value #TENSORS_FILE} (tensors {@code <key>.lora_A} (rank, in) and
 * {@code <key>.lora_B} (out, rank), keys {@code layers.<i>.<module>} or {@code embed}, see {@link AdapterSet})
 * beside {@value #CONFIG_FILE} (format tag, LoRA hyper-parameters, which layers are present, parameter count and
 * provenance). Both files are written as one unit ({@link AdapterDirs}); loading checks that they agree, so a
 * directory assembled from two different saves is refused instead of silently mis-scaled.
 */
public final class AdapterIO {

    /** Format tag in {@value #CONFIG_FILE}; bump it when the layout changes incompatibly. */
    public static final String FORMAT = "memsfl-lora/1";
    public static final String TENSORS_FILE = "adapter.safetensors";
    public static final String CONFIG_FILE = "adapter.json";
    /** Well-known metadata key: the model family the adapter was trained for ({@code llama} or {@code gpt2}). */
    public static final String META_MODEL_FAMILY = "model_family";
    /** Well-known metadata key: the base model's id or path (what {@code --model} was). */
    public static final String META_MODEL = "model";

    private static final Set<String> OWNED = Set.of(TENSORS_FILE, CONFIG_FILE);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("(embed|layers\\.(\\d+)\\.([A-Za-z_]+))\\.lora_(A|B)");

    private AdapterIO() {
    }

    /**
     * What {@value #CONFIG_FILE} says about an adapter, readable without loading its tensors.
     *
     * @param lora          rank, alpha, dropout and targets
     * @param modelFamily   {@code llama} / {@code gpt2}, or null when the writer did not say
     * @param model         base model id or path, or null
     * @param layers        layer indices that have adapters, ascending
     * @param embedding     whether an embedding adapter is present
     * @param numParameters trainable values in the tensors file
     * @param metadata      every string given at save time (including the two well-known keys)
     */
    public record AdapterInfo(LoraConfig lora, String modelFamily, String model, List<Integer> layers,
                              boolean embedding, long numParameters, Map<String, String> metadata) {
        public AdapterInfo {
            if (lora == null) {
                throw new IllegalArgumentException("lora config must be set");
            }
            if (numParameters < 0) {
                throw new IllegalArgumentException("numParameters must be >= 0, got " + numParameters);
            }
            layers = List.copyOf(layers);
            metadata = Collections.unmodifiableMap(new TreeMap<>(metadata));
        }
    }

    /**
     * Saves {@code adapters} into {@code dir} (created, or replaced when it holds only a previous adapter). Tensors
     * keep their dtype (float32 for trained adapters).
     *
     * @param extraMetadata provenance strings (may be null), stored in both files; {@value #META_MODEL_FAMILY} and
     *                      {@value #META_MODEL} are also written as top-level JSON fields
     */
    public static void save(AdapterSet adapters, Path dir, Map<String, String> extraMetadata) {
        if (adapters.isEmpty()) {
            throw new IllegalArgumentException("refusing to save an empty adapter set to " + dir);
        }
        Map<String, String> meta = new TreeMap<>();
        if (extraMetadata != null) {
            extraMetadata.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException("adapter metadata keys and values must not be null: " + k + "=" + v);
                }
                meta.put(k, v);
            });
        }
        String family = meta.get(META_MODEL_FAMILY);
        if (family != null) {
            parseFamily(family, "metadata " + META_MODEL_FAMILY); // a typo here would make the file unreadable later
        }
        ObjectNode json = JSON.createObjectNode();
        LoraConfig c = adapters.config();
        json.put("format", FORMAT);
        json.put("rank", c.rank());
        json.put("alpha", c.alpha());
        json.put("dropout", c.dropout());
        ArrayNode targets = json.putArray("targets");
        c.targets().forEach(targets::add);
        if (family != null) {
            json.put(META_MODEL_FAMILY, family.toLowerCase(java.util.Locale.ROOT));
        }
        if (meta.containsKey(META_MODEL)) {
            json.put(META_MODEL, meta.get(META_MODEL));
        }
        ArrayNode layers = json.putArray("layers");
        layersOf(adapters.asMap().keySet()).forEach(layers::add);
        json.put("embedding", adapters.embedding() != null);
        json.put("num_parameters", adapters.numParameters());
        ObjectNode md = json.putObject("metadata");
        meta.forEach(md::put);
        String text;
        try {
            text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + CONFIG_FILE, e);
        }
        Map<String, String> stMeta = new TreeMap<>(meta);
        stMeta.put("format", FORMAT);
        Map<String, Tensor> tensors = adapters.toTensorMap();
        AdapterDirs.write(dir, OWNED, tmp -> {
            SafetensorsWriter.write(tmp.resolve(TENSORS_FILE), tensors, stMeta);
            Files.writeString(tmp.resolve(CONFIG_FILE), text, StandardCharsets.UTF_8);
        });
    }

    /** Saves with the model's family and id recorded, so a later load can be checked against the right model. */
    public static void save(AdapterSet adapters, Path dir, ModelConfig model, String modelId,
                            Map<String, String> extraMetadata) {
        Map<String, String> meta = new TreeMap<>();
        if (extraMetadata != null) {
            meta.putAll(extraMetadata);
        }
        meta.put(META_MODEL_FAMILY, model.family().name().toLowerCase(java.util.Locale.ROOT));
        if (modelId != null) {
            meta.put(META_MODEL, modelId);
        }
        save(adapters, dir, meta);
    }

    /** Reads and checks {@value #CONFIG_FILE} only. */
    public static AdapterInfo readInfo(Path dir) {
        Path file = configFile(dir);
        JsonNode root;
        try {
            root = JSON.readTree(org.memsfl.util.TextFiles.readString(file));
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + " is not valid JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new BadInputException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(file + ": expected a JSON object");
        }
        JsonNode format = root.get("format");
        if (format == null || !format.isTextual()) {
            throw new BadInputException(file + ": field 'format' is missing; expected \"" + FORMAT + "\"");
        }
        if (!format.asText().equals(FORMAT)) {
            throw new BadInputException(file + ": field 'format' is \"" + format.asText() + "\"; expected \"" + FORMAT
                    + "\"");
        }
        int rank = intField(root, "rank", file);
        double alpha = numberField(root, "alpha", file);
        double dropout = numberField(root, "dropout", file);
        JsonNode t = root.get("targets");
        if (t == null || !t.isArray()) {
            throw new BadInputException(file + ": field 'targets' must be an array of module names, e.g. [\"q\",\"v\"]");
        }
        List<String> targets = new ArrayList<>();
        for (JsonNode n : t) {
            if (!n.isTextual()) {
                throw new BadInputException(file + ": field 'targets' must hold strings, found " + n);
            }
            targets.add(n.asText());
        }
        LoraConfig lora;
        try {
            lora = new LoraConfig(rank, alpha, dropout, targets);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": " + e.getMessage(), e);
        }
        String family = optionalText(root, META_MODEL_FAMILY, file);
        if (family != null) {
            parseFamily(family, file + ": field '" + META_MODEL_FAMILY + "'");
        }
        String model = optionalText(root, META_MODEL, file);
        JsonNode l = root.get("layers");
        if (l == null || !l.isArray()) {
            throw new BadInputException(file + ": field 'layers' must be an array of layer indices");
        }
        List<Integer> layers = new ArrayList<>();
        for (JsonNode n : l) {
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
                throw new BadInputException(file + ": field 'layers' must hold non-negative integers, found " + n);
            }
            layers.add(n.asInt());
        }
        JsonNode e = root.get("embedding");
        if (e == null || !e.isBoolean()) {
            throw new BadInputException(file + ": field 'embedding' must be true or false");
        }
        JsonNode np = root.get("num_parameters");
        if (np == null || !np.isIntegralNumber() || np.asLong() < 0) {
            throw new BadInputException(file + ": field 'num_parameters' must be a non-negative integer");
        }
        Map<String, String> metadata = new TreeMap<>();
        JsonNode md = root.get("metadata");
        if (md != null && !md.isNull()) {
            if (!md.isObject()) {
                throw new BadInputException(file + ": field 'metadata' must be an object of strings");
            }
            md.fields().forEachRemaining(f -> {
                if (!f.getValue().isTextual()) {
                    throw new BadInputException(file + ": field 'metadata." + f.getKey() + "' must be a string");
                }
                metadata.put(f.getKey(), f.getValue().asText());
            });
        }
        return new AdapterInfo(lora, family, model, layers, e.asBoolean(), np.asLong(), metadata);
    }

    /**
     * Loads an adapter directory written by {@link #save}: float32 trainable leaves, whatever dtype was stored.
     *
     * @throws BadInputException naming the file (and tensor) for a missing directory or file, bad JSON, a wrong
     *         format tag, a tensor name or shape that disagrees with the config, or an unpaired lora_A / lora_B
     */
    public static AdapterSet load(Path dir) {
        AdapterInfo info = readInfo(dir);
        Path file = dir.resolve(TENSORS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + " is missing; an adapter directory holds " + CONFIG_FILE + " and "
                    + TENSORS_FILE);
        }
        Map<String, Tensor> tensors;
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            checkNames(r, info, file);
            tensors = r.loadAll();
        }
        checkValues(tensors, file);
        AdapterSet set = AdapterSet.fromTensorMap(info.lora(), tensors);
        tensors.values().forEach(Tensor::close);
        if (set.numParameters() != info.numParameters()) {
            long n = set.numParameters();
            set.close();
            throw new BadInputException(file + " holds " + n + " adapter values but " + CONFIG_FILE + " says "
                    + info.numParameters() + "; the two files come from different saves");
        }
        return set;
    }

    /**
     * Checks every adapter's shapes against the model it is about to be applied to.
     *
     * @throws BadInputException naming the adapter key, the expected and the actual shape, or a layer or module the
     *         model does not have
     */
    public static void validateAgainst(AdapterSet adapters, ModelConfig config) {
        int r = adapters.config().rank();
        for (Map.Entry<String, LoraWeights> e : adapters.asMap().entrySet()) {
            String key = e.getKey();
            String module = LoraModules.moduleOf(key);
            int layer = LoraModules.layerOf(key);
            if (layer >= config.nLayers()) {
                throw new BadInputException("adapter '" + key + "' is for layer " + layer + " but the model has "
                        + config.nLayers() + " layers (0.." + (config.nLayers() - 1) + ")");
            }
            int[] inOut;
            try {
                inOut = LoraModules.shape(config, module);
            } catch (IllegalArgumentException ex) {
                throw new BadInputException("adapter '" + key + "': " + ex.getMessage());
            }
            long[] wantA = {r, inOut[0]};
            long[] wantB = {inOut[1], r};
            long[] a = Tensors.shape(e.getValue().a());
            long[] b = Tensors.shape(e.getValue().b());
            if (!Arrays.equals(a, wantA)) {
                throw new BadInputException("adapter '" + key + "': lora_A has shape " + Arrays.toString(a)
                        + " but the " + config.family().name().toLowerCase(java.util.Locale.ROOT)
                        + " model implies " + Arrays.toString(wantA) + " (rank, in)");
            }
            if (!Arrays.equals(b, wantB)) {
                throw new BadInputException("adapter '" + key + "': lora_B has shape " + Arrays.toString(b)
                        + " but the " + config.family().name().toLowerCase(java.util.Locale.ROOT)
                        + " model implies " + Arrays.toString(wantB) + " (out, rank)");
            }
        }
    }

    /** Also checks the family recorded at save time, when there is one. */
    public static void validateAgainst(AdapterInfo info, AdapterSet adapters, ModelConfig config) {
        if (info.modelFamily() != null) {
            ModelFamily f = parseFamily(info.modelFamily(), "adapter model_family");
            if (f != config.family()) {
                throw new BadInputException("adapter was trained for a " + info.modelFamily() + " model"
                        + (info.model() == null ? "" : " (" + info.model() + ")") + " but the model is "
                        + config.family().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        validateAgainst(adapters, config);
    }

    private static void checkNames(SafetensorsReader r, AdapterInfo info, Path file) {
        int rank = info.lora().rank();
        Set<Integer> layers = new TreeSet<>();
        boolean embedding = false;
        for (String name : r.names()) {
            Matcher m = NAME.matcher(name);
            if (!m.matches()) {
                throw new BadInputException(file + ": tensor '" + name + "' is not an adapter tensor; expected "
                        + "'layers.<i>.<module>.lora_A|lora_B' or 'embed.lora_A|lora_B'");
            }
            String key = m.group(1);
            String module = m.group(3) == null ? LoraModules.EMBEDDING : m.group(3);
            if (!info.lora().targets().contains(module)) {
                throw new BadInputException(file + ": tensor '" + name + "' adapts module '" + module
                        + "' which is not among the targets " + info.lora().targets() + " in " + CONFIG_FILE);
            }
            boolean isA = m.group(4).equals("A");
            String other = key + (isA ? ".lora_B" : ".lora_A");
            if (!r.contains(other)) {
                throw new BadInputException(file + ": tensor '" + name + "' has no partner '" + other + "'");
            }
            SafetensorsSource.TensorInfo ti = r.info(name);
            DType dt = ti.dtype();
            if (dt != DType.F32 && dt != DType.F16 && dt != DType.BF16 && dt != DType.F64) {
                throw new BadInputException(file + ": tensor '" + name + "' has dtype " + dt
                        + "; expected a floating type (F32, F16, BF16, F64)");
            }
            long[] s = ti.shape();
            boolean ok = s.length == 2 && s[0] > 0 && s[1] > 0 && (isA ? s[0] == rank : s[1] == rank);
            if (!ok) {
                throw new BadInputException(file + ": tensor '" + name + "' has shape " + Arrays.toString(s)
                        + "; with rank " + rank + " expected " + (isA ? "(" + rank + ", in)" : "(out, " + rank + ")"));
            }
            if (isA && m.group(2) == null) {
                embedding = true;
            } else if (isA) {
                layers.add(Integer.parseInt(m.group(2)));
            }
        }
        if (!new ArrayList<>(layers).equals(info.layers()) || embedding != info.embedding()) {
            throw new BadInputException(file + " holds adapters for layers " + layers + (embedding ? " and the embedding" : "")
                    + " but " + CONFIG_FILE + " lists layers " + info.layers()
                    + (info.embedding() ? " and the embedding" : "") + "; the two files come from different saves");
        }
    }

    private static void checkValues(Map<String, Tensor> tensors, Path file) {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (!torch.isfinite(e.getValue()).all().item().toBool()) {
                throw new BadInputException(file + ": tensor '" + e.getKey() + "' contains NaN or Inf");
            }
        }
    }

    private static Path configFile(Path dir) {
        if (!Files.exists(dir)) {
            throw new BadInputException("adapter directory not found: " + dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new BadInputException("adapter path " + dir + " is a file; expected a directory holding "
                    + CONFIG_FILE + " and " + TENSORS_FILE);
        }
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            if (Files.isRegularFile(dir.resolve(PeftExport.CONFIG_FILE))) {
                throw new BadInputException(dir + " is a Hugging Face PEFT export (" + PeftExport.CONFIG_FILE
                        + "), not a memsfl adapter; it lacks " + CONFIG_FILE);
            }
            throw new BadInputException(file + " is missing; an adapter directory holds " + CONFIG_FILE + " and "
                    + TENSORS_FILE);
        }
        return file;
    }

    static List<Integer> layersOf(Iterable<String> keys) {
        Set<Integer> s = new TreeSet<>();
        for (String k : keys) {
            int l = LoraModules.layerOf(k);
            if (l >= 0) {
                s.add(l);
            }
        }
        return new ArrayList<>(s);
    }

    private static ModelFamily parseFamily(String s, String where) {
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "llama": return ModelFamily.LLAMA;
            case "gpt2": return ModelFamily.GPT2;
            default: throw new BadInputException(where + " is '" + s + "'; expected llama or gpt2");
        }
    }

    private static int intField(JsonNode root, String field, Path file) {
        JsonNode n = root.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new BadInputException(file + ": field '" + field + "' must be an integer, found "
                    + (n == null ? "nothing" : n.toString()));
        }
        return n.asInt();
    }

    private static double numberField(JsonNode root, String field, Path file) {
        JsonNode n = root.get(field);
        if (n == null || !n.isNumber()) {
            throw new BadInputException(file + ": field '" + field + "' must be a number, found "
                    + (n == null ? "nothing" : n.toString()));
        }
        return n.asDouble();
    }

    private static String optionalText(JsonNode root, String field, Path file) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new BadInputException(file + ": field '" + field + "' must be a string, found " + n);
        }
        return n.asText();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
