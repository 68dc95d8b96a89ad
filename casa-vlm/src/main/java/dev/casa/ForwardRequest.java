package dev.casa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A parity request.json of {@code casa forward} (forward-cli.md): tokens or text, images with insertion points. */
public record ForwardRequest(int[] tokens, String text, List<Path> images, int[] insertAt) {

    /**
     * Reads and checks a request.json (forward-cli.md); image paths are resolved against its directory.
     * Bad input is an IllegalArgumentException naming the problem.
     */
    public static ForwardRequest parse(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("request file not found: " + file);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": bad JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object");
        int[] tokens = null;
        String text = null;
        if (root.has("tokens")) {
            JsonNode t = root.get("tokens");
            if (!t.isArray()) throw new IllegalArgumentException(file + ": \"tokens\" must be an array of integers");
            tokens = new int[t.size()];
            for (int i = 0; i < t.size(); i++) {
                if (!t.get(i).isIntegralNumber() || !t.get(i).canConvertToInt()) {
                    throw new IllegalArgumentException(file + ": tokens[" + i + "] is not an integer token id");
                }
                tokens[i] = t.get(i).asInt();
            }
        } else if (root.has("text")) {
            if (!root.get("text").isTextual()) throw new IllegalArgumentException(file + ": \"text\" must be a string");
            text = root.get("text").asText();
        } else {
            throw new IllegalArgumentException(file + ": needs \"tokens\" or \"text\"");
        }
        List<Path> images = new ArrayList<>();
        List<Integer> points = new ArrayList<>();
        JsonNode imgs = root.path("images");
        if (!imgs.isMissingNode() && !imgs.isNull()) {
            if (!imgs.isArray()) throw new IllegalArgumentException(file + ": \"images\" must be an array");
            Path base = file.toAbsolutePath().getParent();
            for (int i = 0; i < imgs.size(); i++) {
                JsonNode img = imgs.get(i);
                if (!img.path("path").isTextual()) throw new IllegalArgumentException(file + ": images[" + i + "].path must be a string");
                if (!img.path("insert_at").isIntegralNumber()) throw new IllegalArgumentException(file + ": images[" + i + "].insert_at must be an integer");
                int p = img.get("insert_at").asInt();
                if (p < 0) throw new IllegalArgumentException(file + ": images[" + i + "].insert_at is negative");
                if (!points.isEmpty() && p < points.get(points.size() - 1)) {
                    throw new IllegalArgumentException(file + ": images[" + i + "].insert_at " + p + " is before the previous image's");
                }
                images.add(base.resolve(img.get("path").asText()));
                points.add(p);
            }
        }
        return new ForwardRequest(tokens, text, images, points.stream().mapToInt(Integer::intValue).toArray());
    }

}
