package dev.casa.bench.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo model's pictures with known answers: the held-out "Describe the image." items (answer: the
 * PyTorch reference's, in a fresh conversation) and example.png.
 */
record DemoFrames(List<byte[]> images, List<String> names, List<String> answers) {
    static final String QUESTION = "Describe the image.";

    static Path demoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("models/demo");
            if (Files.isDirectory(d.resolve("model"))) return d;
        }
        throw new IllegalStateException("models/demo not found above " + Path.of("").toAbsolutePath() + " (run from the checkout)");
    }

    static DemoFrames load() throws IOException {
        Path root = demoRoot();
        List<byte[]> images = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        for (JsonNode item : new ObjectMapper().readTree(root.resolve("heldout/heldout.json").toFile()).get("items")) {
            if (!item.get("question").asText().equals(QUESTION)) continue;
            images.add(Files.readAllBytes(root.resolve("heldout").resolve(item.get("image").asText())));
            names.add(item.get("image").asText());
            answers.add(item.get("answer").asText());
        }
        images.add(Files.readAllBytes(root.resolve("example.png")));
        names.add("example.png");
        answers.add("a purple circle, an orange square and a green triangle on a grey background");
        return new DemoFrames(images, names, answers);
    }

    int size() { return images.size(); }
}
