package dev.casa.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

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

    /** Every case directory of every fixture model that has a vision tower. */
    static List<Path> visionCases() throws IOException {
        try (Stream<Path> models = Files.list(root())) {
            return models.filter(m -> Files.exists(m.resolve("config.json")) && Files.exists(m.resolve("preprocessor_config.json")))
                    .sorted()
                    .flatMap(m -> {
                        try (Stream<Path> cases = Files.list(m.resolve("cases"))) {
                            return cases.sorted().toList().stream();
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }).toList();
        }
    }
}
