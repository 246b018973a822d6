package org.memsfl.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where tests find ../shared/assets: MEMSFL_ASSETS (set by surefire and CI), else relative to the module. */
public final class Assets {

    private Assets() {
    }

    public static Path root() {
        String env = System.getenv("MEMSFL_ASSETS");
        if (env != null && Files.isDirectory(Path.of(env))) {
            return Path.of(env);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("../shared/assets").normalize();
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("../shared/assets not found; set MEMSFL_ASSETS");
    }

    public static Path path(String relative) {
        return root().resolve(relative);
    }

    public static Path stories260K() {
        return root().resolve("models/stories260K/stories260K.bin");
    }

    public static Path tok512() {
        return root().resolve("models/stories260K/tok512.bin");
    }
}
