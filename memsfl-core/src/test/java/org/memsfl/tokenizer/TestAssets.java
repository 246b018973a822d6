package org.memsfl.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared read-only assets: $MEMSFL_ASSETS (set by surefire), else ../shared/assets from the working dir. */
final class TestAssets {

    private TestAssets() {
    }

    static Path root() {
        String env = System.getenv("MEMSFL_ASSETS");
        Path root = env != null && !env.isBlank() ? Path.of(env) : Path.of("..", "shared", "assets");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("assets not found at " + root.toAbsolutePath()
                    + "; set MEMSFL_ASSETS to the shared assets directory");
        }
        return root;
    }

    static Path path(String relative) {
        return root().resolve(relative);
    }
}
