package dev.casa.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the committed reference fixtures (models/fixtures) from the module directory. */
final class FixturePaths {
    private FixturePaths() {}

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path f = p.resolve("models/fixtures");
            if (Files.isDirectory(f)) return f;
        }
        throw new IllegalStateException("models/fixtures not found above " + Path.of("").toAbsolutePath());
    }
}
