package dev.casa.vision.processor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The HF v4.51.3 processor outputs in models/fixtures/hf (see its README): every processor case
 * ({@code processors/<case>/case.json} items) and every model case's images (request.json) with
 * {@code model/preprocessor_config.json}.
 */
final class HfFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One image of a case: its config, image, expected pixel_values and meta. */
    record Item(String name, Path config, Path image, Path pixels, Path meta) {
        @Override
        public String toString() { return name; }
    }

    private HfFixtures() {}

    /** The repository root: the first directory above the working directory holding models/fixtures. */
    static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("models/fixtures"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("models/fixtures not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    static Path hfDir() { return repoRoot().resolve("models/fixtures/hf"); }

    static List<Item> items() {
        List<Item> out = new ArrayList<>();
        try {
            for (Path dir : sortedDirs(hfDir().resolve("processors"))) {
                JsonNode c = JSON.readTree(dir.resolve("case.json").toFile());
                for (JsonNode it : c.get("items")) {
                    out.add(new Item("processors/" + dir.getFileName() + "/" + it.get("image").asText(),
                            dir.resolve(c.get("config").asText()), dir.resolve(it.get("image").asText()),
                            dir.resolve(it.get("pixel_values").asText()), dir.resolve(it.get("meta").asText())));
                }
            }
            for (Path dir : sortedDirs(hfDir())) {
                Path config = dir.resolve("model/preprocessor_config.json");
                Path request = dir.resolve("request.json");
                if (!Files.exists(config) || !Files.exists(request)) {
                    continue;
                }
                JsonNode images = JSON.readTree(request.toFile()).get("images");
                for (int i = 0; i < images.size(); i++) {
                    out.add(new Item(dir.getFileName() + "/" + images.get(i).asText(), config,
                            dir.resolve(images.get(i).asText()), dir.resolve("pixel_values_" + i + ".npy"),
                            dir.resolve("meta_" + i + ".json")));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static List<Path> sortedDirs(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }
}
