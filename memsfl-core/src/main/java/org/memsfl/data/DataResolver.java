package org.memsfl.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.memsfl.util.BadInputException;

/**
 * Turns a user's data spec into a {@link Dataset}: a known dataset name looked up under the asset roots
 * ($MEMSFL_ASSETS, then ~/.cache/memsfl/assets), or a path to a {@code .jsonl} or {@code .txt} file.
 */
public final class DataResolver {

    public static final List<String> KNOWN = List.of(DollyLoader.NAME, E2eLoader.NAME, ShakespeareLoader.NAME,
            Gsm8kLoader.NAME);

    private final List<Path> assetRoots;

    public DataResolver(List<Path> assetRoots) {
        this.assetRoots = List.copyOf(assetRoots);
    }

    /** Roots from the environment: $MEMSFL_ASSETS if set, then the user cache ~/.cache/memsfl/assets. */
    public static DataResolver standard() {
        List<Path> roots = new ArrayList<>();
        String env = System.getenv("MEMSFL_ASSETS");
        if (env != null && !env.isBlank()) {
            roots.add(Path.of(env));
        }
        roots.add(Path.of(System.getProperty("user.home"), ".cache", "memsfl", "assets"));
        return new DataResolver(roots);
    }

    public static Dataset resolve(String spec) {
        return standard().load(spec, JsonlFields.DEFAULT);
    }

    public Dataset load(String spec) {
        return load(spec, JsonlFields.DEFAULT);
    }

    /** {@code fields} applies only when {@code spec} is a .jsonl file. */
    public Dataset load(String spec, JsonlFields fields) {
        if (spec == null || spec.isBlank()) {
            throw new BadInputException("data spec is empty, expected one of " + KNOWN + " or a .jsonl/.txt path");
        }
        String name = spec.strip().toLowerCase(Locale.ROOT);
        switch (name) {
            case DollyLoader.NAME:
                return DollyLoader.load(locate(name, DollyLoader.RELATIVE_DIR));
            case E2eLoader.NAME:
                return E2eLoader.load(locate(name, E2eLoader.RELATIVE_DIR));
            case ShakespeareLoader.NAME:
                return ShakespeareLoader.load(locate(name, ShakespeareLoader.RELATIVE_FILE));
            case Gsm8kLoader.NAME:
                return Gsm8kLoader.load(locate(name, Gsm8kLoader.RELATIVE_DIR));
            default:
                return loadFile(spec.strip(), fields);
        }
    }

    private Dataset loadFile(String spec, JsonlFields fields) {
        boolean jsonl = spec.endsWith(".jsonl");
        boolean txt = spec.endsWith(".txt");
        Path path = Path.of(spec);
        if (!jsonl && !txt) {
            String why = Files.exists(path) ? "'" + spec + "' is neither a .jsonl nor a .txt file"
                    : "unknown dataset '" + spec + "'";
            throw new BadInputException(why + ": expected one of " + KNOWN + " or a path to a .jsonl/.txt file");
        }
        if (!Files.isRegularFile(path)) {
            throw new BadInputException("data file " + path.toAbsolutePath() + " does not exist");
        }
        return jsonl ? JsonlLoader.load(path, fields) : TextLoader.load(path);
    }

    /** The first root that holds {@code relative}. */
    private Path locate(String name, String relative) {
        for (Path root : assetRoots) {
            Path candidate = root.resolve(relative);
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        String looked = assetRoots.stream().map(r -> r.resolve(relative).toString())
                .collect(Collectors.joining(", "));
        throw new BadInputException("dataset '" + name + "' not found: looked for " + looked
                + " (set MEMSFL_ASSETS to the assets directory)");
    }
}
