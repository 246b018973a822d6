package org.memsfl.model;

import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.hub.HubRepo;
import org.memsfl.hub.HubSnapshots;
import org.memsfl.quant.WeightStorage;
import org.memsfl.tokenizer.Llama2cTokenizer;
import org.memsfl.tokenizer.Tokenizer;
import org.memsfl.tokenizer.Tokenizers;
import org.memsfl.util.BadInputException;

/**
 * Turns a model spec into a loaded model part and its tokenizer. Accepted specs, tried in this order:
 * <ol>
 *   <li>{@code random:<preset>} or {@code random:<preset>@<seed>}: {@link RandomInit} over
 *       {@link ModelPresets#get} (seed 0 by default). Tokenizer: GPT-2's byte-level BPE from
 *       {@code <assets>/models/gpt2-tokenizer} for presets with GPT-2's 50,257-token vocabulary, {@code tok512.bin}
 *       for {@code stories260K} (from the assets or the cache, never downloaded for a random model), otherwise
 *       null: random models serve memory and timing work where no text is tokenized.</li>
 *   <li>a known name ({@link #knownNames()}): {@code <assets>/models/<name>/}, else
 *       {@code <cache>/models/<name>/}, else downloaded into the cache from the public origin (every file checked
 *       against its sha256). A local path spelled like a known name is reached as {@code ./<name>}.</li>
 *   <li>a Hugging Face Hub name {@code org/name[@revision]} that is not an existing path: the snapshot in the
 *       Hugging Face cache, downloaded into it when missing ({@link HubSnapshots}; {@code HF_*} variables).</li>
 *   <li>a path: a Hugging Face directory ({@code config.json}; tokenizer by {@link Tokenizers#load}), a llama2.c
 *       {@code .bin} checkpoint (tokenizer {@code tok512.bin} or {@code tokenizer.bin} beside it, the one whose
 *       vocabulary size matches; null when neither is there), or a directory holding exactly one such checkpoint.</li>
 * </ol>
 * {@code <assets>} is {@code $MEMSFL_ASSETS}; {@code <cache>} is {@code $MEMSFL_CACHE}, else {@code ~/.cache/memsfl}.
 */
public final class ModelResolver {

    public static final String ASSETS_ENV = "MEMSFL_ASSETS";
    public static final String CACHE_ENV = "MEMSFL_CACHE";
    public static final String RANDOM_PREFIX = "random:";

    /** GPT-2's BPE vocabulary size: the only gpt2 vocabulary the bundled tokenizer fits. */
    private static final int GPT2_VOCAB = 50257;

    private static final Map<String, KnownModel> KNOWN = new LinkedHashMap<>();

    static {
        // sha256 of the unmodified files of karpathy/tinyllamas (also the copies under shared/assets)
        KNOWN.put("stories260K", new KnownModel("stories260K", "stories260K.bin", Map.of(
                "stories260K.bin", "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696",
                "tok512.bin", "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312"),
                URI.create("https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/")));
        // a format fixture with no public origin: found in the assets or a cache filled by hand (or a mirror)
        KNOWN.put("tiny-gpt2-random", new KnownModel("tiny-gpt2-random", null, Map.of(
                "config.json", "f697743772c6faeb4d9170fdde1700fe42437360f1a724f7498bc180779cfbaa",
                "model.safetensors", "4d5e829822b85233459dda4e6b1d29b252a33724ab58e473372cbcc3b7adab5e",
                "vocab.json", "328b635028165e37ad3074780b2c08b754dde8905248ffe22544d113d07b4051",
                "merges.txt", "d4c0bfb34840119a27e37d1ec4b049a66dc8e75bdf23cd82b4ef0ec8211bf100",
                "tokenizer_config.json", "93f800938f10127f82355300027c618fb05c600083eac28dd91104dfce5d7dae"),
                null));
    }

    private final Path assets;
    private final Path cache;
    private final AssetDownloader downloader;
    private final HubSnapshots hub;
    /** Hub specs resolved by this resolver: config() then load() ask the Hub once. */
    private final Map<String, HubSnapshots.Snapshot> hubResolved = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param assets     directory holding {@code models/<name>/} copies, or null
     * @param cache      user cache root; known models are downloaded into {@code <cache>/models/<name>/}
     * @param downloader fetches missing known files
     */
    public ModelResolver(Path assets, Path cache, AssetDownloader downloader) {
        this(assets, cache, downloader, null);
    }

    /**
     * @param hub resolves {@code org/name[@revision]} names; null for {@link HubSnapshots#fromEnvironment()} on first use
     */
    public ModelResolver(Path assets, Path cache, AssetDownloader downloader, HubSnapshots hub) {
        if (cache == null || downloader == null) {
            throw new IllegalArgumentException("cache and downloader must be set");
        }
        this.assets = assets;
        this.cache = cache;
        this.downloader = downloader;
        this.hub = hub;
    }

    /** Assets from {@value #ASSETS_ENV}, cache from {@value #CACHE_ENV} or {@code ~/.cache/memsfl}. */
    public static ModelResolver fromEnvironment() {
        String a = System.getenv(ASSETS_ENV);
        String c = System.getenv(CACHE_ENV);
        Path cache = c != null && !c.isBlank() ? Path.of(c)
                : Path.of(System.getProperty("user.home"), ".cache", "memsfl");
        return new ModelResolver(a != null && !a.isBlank() ? Path.of(a) : null, cache, AssetDownloader.fromEnvironment());
    }

    /** {@link #load} through {@link #fromEnvironment()}. */
    public static LoadedModel resolve(String spec, LayerRange range, DType compute) {
        return fromEnvironment().load(spec, range, compute);
    }

    /** {@link #load(String, LayerRange, DType, WeightStorage)} through {@link #fromEnvironment()}. */
    public static LoadedModel resolve(String spec, LayerRange range, DType compute, WeightStorage storage) {
        return fromEnvironment().load(spec, range, compute, storage);
    }

    /** {@link #config} through {@link #fromEnvironment()}. */
    public static ModelConfig resolveConfig(String spec) {
        return fromEnvironment().config(spec);
    }

    /** Names accepted as known models. */
    public static Set<String> knownNames() {
        return KNOWN.keySet();
    }

    /** Loads the part {@code range} of the model {@code spec} names, with weights in {@code compute}. */
    public LoadedModel load(String spec, LayerRange range, DType compute) {
        return load(spec, range, compute, null);
    }

    /**
     * As {@link #load(String, LayerRange, DType)}, the layers' projection weights stored as {@code storage} (null:
     * none). Hugging Face directories and random presets convert each weight as it is read or drawn, so loading never
     * holds the float model beside its stored copy; a llama2.c file (tiny by nature) is read whole, then converted.
     */
    public LoadedModel load(String spec, LayerRange range, DType compute, WeightStorage storage) {
        Source s = source(spec);
        // the compute dtype decides which library runs the GEMMs, and so the threads that are fastest (Engine)
        Engine.threadsFor(compute);
        DecoderModel model = switch (s.kind) {
            case RANDOM -> RandomInit.create(s.config, range, compute, s.seed, storage);
            case LLAMA2C -> Llama2cLoader.load(s.path, range, compute);
            case HF -> HfModelLoader.load(s.path, range, compute, storage);
        };
        if (s.kind == Kind.LLAMA2C && storage != null) {
            model.quantizeLayers(storage);
        }
        try {
            Tokenizer tok = tokenizer(s, model.config());
            return new LoadedModel(model, tok, s.id, model.config());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The config of the model {@code spec} names, without loading weights (planners size splits with it). */
    public ModelConfig config(String spec) {
        Source s = source(spec);
        return s.config;
    }

    /**
     * The Hugging Face directory {@code spec} resolves to (a Hub snapshot, a known HF-format model or a local
     * directory), where its tokenizer and chat template live; empty for llama2.c checkpoints and random models.
     */
    public Optional<Path> directory(String spec) {
        Source s = source(spec);
        return s.kind == Kind.HF ? Optional.of(s.path) : Optional.empty();
    }

    private enum Kind { RANDOM, LLAMA2C, HF }

    /** A resolved spec: what to load from where, under which id. */
    private record Source(Kind kind, String id, Path path, ModelConfig config, long seed, String preset) {
    }

    private Source source(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new BadInputException("model spec is empty; " + accepted());
        }
        spec = spec.trim();
        if (spec.startsWith(RANDOM_PREFIX)) {
            return random(spec.substring(RANDOM_PREFIX.length()));
        }
        KnownModel known = KNOWN.get(spec);
        if (known != null) {
            Path dir = locate(known, true);
            return known.checkpoint() != null
                    ? new Source(Kind.LLAMA2C, known.name(), dir.resolve(known.checkpoint()),
                            Llama2cLoader.readConfig(dir.resolve(known.checkpoint())), 0, null)
                    : new Source(Kind.HF, known.name(), dir, HfModelLoader.readConfig(dir), 0, null);
        }
        Path p;
        try {
            p = Path.of(spec);
        } catch (InvalidPathException e) {
            throw new BadInputException("model '" + spec + "' is not a valid path: " + e.getMessage() + "; " + accepted());
        }
        if (!Files.exists(p) && HubRepo.looksLikeRepo(spec)) {
            HubRepo repo = HubRepo.parse(spec);
            HubSnapshots.Snapshot snap = hubResolved.computeIfAbsent(spec,
                    k -> (hub != null ? hub : HubSnapshots.fromEnvironment()).resolve(repo));
            return new Source(Kind.HF, snap.id(), snap.dir(), HfModelLoader.readConfig(snap.dir()), 0, null);
        }
        if (!Files.exists(p)) {
            throw new BadInputException("model '" + spec + "' is neither a known name nor an existing path; "
                    + accepted());
        }
        String id = p.toAbsolutePath().normalize().toString();
        if (Files.isDirectory(p)) {
            if (Files.isRegularFile(p.resolve(HfConfigParser.CONFIG_FILE))) {
                return new Source(Kind.HF, id, p, HfModelLoader.readConfig(p), 0, null);
            }
            Path bin = singleCheckpoint(p);
            return new Source(Kind.LLAMA2C, bin.toAbsolutePath().normalize().toString(), bin,
                    Llama2cLoader.readConfig(bin), 0, null);
        }
        if (p.getFileName().toString().equals(HfConfigParser.CONFIG_FILE)) {
            Path dir = p.toAbsolutePath().getParent();
            return new Source(Kind.HF, dir.toString(), dir, HfModelLoader.readConfig(dir), 0, null);
        }
        return new Source(Kind.LLAMA2C, id, p, Llama2cLoader.readConfig(p), 0, null);
    }

    private static Source random(String rest) {
        String preset = rest;
        long seed = 0;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            preset = rest.substring(0, at);
            try {
                seed = Long.parseLong(rest.substring(at + 1));
            } catch (NumberFormatException e) {
                throw new BadInputException("model 'random:" + rest + "': seed '" + rest.substring(at + 1)
                        + "' is not an integer; expected random:<preset>@<seed>");
            }
        }
        ModelConfig c = ModelPresets.get(preset);
        return new Source(Kind.RANDOM, RANDOM_PREFIX + preset + "@" + seed, null, c, seed, preset);
    }

    /** A directory without config.json that holds exactly one llama2.c checkpoint (tokenizer files aside). */
    private static Path singleCheckpoint(Path dir) {
        List<Path> bins = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.bin")) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                if (Files.isRegularFile(f) && !n.equals("tokenizer.bin") && !n.matches("tok\\d+\\.bin")) {
                    bins.add(f);
                }
            }
        } catch (IOException e) {
            throw new BadInputException("cannot list model directory " + dir + ": " + e.getMessage(), e);
        }
        if (bins.size() != 1) {
            throw new BadInputException("model directory " + dir + " has no " + HfConfigParser.CONFIG_FILE + " and "
                    + bins.size() + " llama2.c checkpoints (*.bin besides tokenizers); expected a Hugging Face "
                    + "directory or exactly one checkpoint");
        }
        return bins.get(0);
    }

    /**
     * The directory holding all of {@code k}'s files, verified: the assets copy, else the cache, else (when
     * {@code download}) the cache after fetching what is missing. Null when not downloading and not found.
     */
    private Path locate(KnownModel k, boolean download) {
        if (assets != null) {
            Path dir = assets.resolve("models").resolve(k.name());
            if (k.files().keySet().stream().allMatch(f -> Files.isRegularFile(dir.resolve(f)))) {
                for (Map.Entry<String, String> f : k.files().entrySet()) {
                    String got = sha256(dir.resolve(f.getKey()));
                    if (!got.equals(f.getValue())) {
                        // the assets are read-only project copies: a mismatch is a setup error, not for the cache to hide
                        throw new BadInputException(dir.resolve(f.getKey()) + ": sha256 " + got + ", expected "
                                + f.getValue() + " for known model '" + k.name() + "'");
                    }
                }
                return dir;
            }
        }
        Path dir = cache.resolve("models").resolve(k.name());
        for (Map.Entry<String, String> f : k.files().entrySet()) {
            Path file = dir.resolve(f.getKey());
            if (Files.isRegularFile(file) && sha256(file).equals(f.getValue())) {
                continue;
            }
            if (!download) {
                return null;
            }
            downloader.fetch(downloader.urlFor(k.name(), f.getKey(), k.origin()), file, f.getValue());
        }
        return dir;
    }

    private Tokenizer tokenizer(Source s, ModelConfig c) {
        Tokenizer tok = switch (s.kind) {
            case RANDOM -> randomTokenizer(s.preset, c);
            case LLAMA2C -> llama2cTokenizer(s.path, c);
            case HF -> Tokenizers.load(s.path);
        };
        if (tok != null && tok.vocabSize() > c.vocabSize()) {
            throw new BadInputException("model '" + s.id + "': its tokenizer has " + tok.vocabSize()
                    + " tokens but the model's vocab_size is " + c.vocabSize() + "; ids past it have no embedding");
        }
        return tok;
    }

    private Tokenizer randomTokenizer(String preset, ModelConfig c) {
        if (c.family() == ModelFamily.GPT2 && c.vocabSize() == GPT2_VOCAB && assets != null) {
            Path dir = assets.resolve("models").resolve("gpt2-tokenizer");
            return Files.isRegularFile(dir.resolve("vocab.json")) ? Tokenizers.load(dir) : null;
        }
        KnownModel k = KNOWN.get(preset);
        if (k != null && k.checkpoint() != null) {
            Path dir = locate(k, false);
            return dir == null ? null : llama2cTokenizer(dir.resolve(k.checkpoint()), c);
        }
        return null;
    }

    /** tok512.bin or tokenizer.bin beside the checkpoint: the one whose size matches the model's vocabulary. */
    private static Tokenizer llama2cTokenizer(Path checkpoint, ModelConfig c) {
        Path dir = checkpoint.toAbsolutePath().getParent();
        List<String> seen = new ArrayList<>();
        // llama2.c names a custom tokenizer tok<vocab>.bin and Llama 2's 32000-token one tokenizer.bin
        for (String name : new java.util.LinkedHashSet<>(List.of("tok" + c.vocabSize() + ".bin", "tok512.bin",
                "tokenizer.bin"))) {
            Path f = dir.resolve(name);
            if (Files.isRegularFile(f)) {
                Llama2cTokenizer t = Llama2cTokenizer.load(f);
                if (t.vocabSize() == c.vocabSize()) {
                    return t;
                }
                seen.add(name + " (" + t.vocabSize() + " tokens)");
            }
        }
        if (!seen.isEmpty()) {
            throw new BadInputException(checkpoint + ": no tokenizer beside it matches its " + c.vocabSize()
                    + "-token vocabulary; found " + String.join(", ", seen));
        }
        return null;
    }

    private static String sha256(Path f) {
        try {
            return AssetDownloader.sha256(f);
        } catch (IOException e) {
            throw new BadInputException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    private static String accepted() {
        List<String> presets = new ArrayList<>();
        ModelPresets.names().forEach(presets::add);
        return "expected a known name " + KNOWN.keySet() + ", random:<preset>[@seed] with a preset of " + presets
                + ", a Hugging Face Hub name org/name[@revision], a Hugging Face model directory (config.json) or a llama2.c"
                + " .bin checkpoint";
    }
}
