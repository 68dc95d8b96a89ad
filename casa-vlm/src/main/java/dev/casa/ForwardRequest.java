package dev.casa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A parity request.json of {@code casa forward}, in one of two forms:
 * <ul>
 *   <li>forward-cli.md: {@code tokens} (or {@code text}) and {@code images: [{path, insert_at}]};</li>
 *   <li>hf-models.md: {@code input_ids} with the image placeholders already expanded, {@code images: [path]}
 *       in order of appearance, and optionally {@code prefill_tokens} for decode mode.</li>
 * </ul>
 * Image paths are resolved against the request's directory.
 *
 * @param insertAt      per image (forward-cli form); empty in the HF form
 * @param prefillTokens HF form's {@code prefill_tokens}, or null
 */
public record ForwardRequest(int[] tokens, String text, List<Path> images, int[] insertAt, boolean hfForm,
                             Integer prefillTokens) {

    /** Request files are small; a larger one is not a request. */
    static final long MAX_BYTES = 64L << 20;

    /** Reads and checks a request.json; bad input is an IllegalArgumentException naming the problem. */
    public static ForwardRequest parse(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(dev.casa.core.io.BoundedFiles.readString(file, MAX_BYTES, "request"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": bad JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            if (e.getCause() instanceof NoSuchFileException) throw new IllegalArgumentException("request file not found: " + file, e);
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object");
        Path base = file.toAbsolutePath().getParent();
        if (root.has("input_ids")) return parseHf(file, root, base);
        int[] tokens = null;
        String text = null;
        if (root.has("tokens")) {
            tokens = ids(file, root.get("tokens"), "tokens");
        } else if (root.has("text")) {
            if (!root.get("text").isTextual()) throw new IllegalArgumentException(file + ": \"text\" must be a string");
            text = root.get("text").asText();
        } else {
            throw new IllegalArgumentException(file + ": needs \"tokens\", \"text\" or \"input_ids\"");
        }
        List<Path> images = new ArrayList<>();
        List<Integer> points = new ArrayList<>();
        JsonNode imgs = root.path("images");
        if (!imgs.isMissingNode() && !imgs.isNull()) {
            if (!imgs.isArray()) throw new IllegalArgumentException(file + ": \"images\" must be an array");
            for (int i = 0; i < imgs.size(); i++) {
                JsonNode img = imgs.get(i);
                if (!img.path("path").isTextual()) throw new IllegalArgumentException(file + ": images[" + i + "].path must be a string");
                if (!img.path("insert_at").isIntegralNumber() || !img.get("insert_at").canConvertToInt()) {
                    throw new IllegalArgumentException(file + ": images[" + i + "].insert_at must be an integer");
                }
                int p = img.get("insert_at").asInt();
                if (p < 0) throw new IllegalArgumentException(file + ": images[" + i + "].insert_at is negative");
                if (!points.isEmpty() && p < points.get(points.size() - 1)) {
                    throw new IllegalArgumentException(file + ": images[" + i + "].insert_at " + p + " is before the previous image's");
                }
                images.add(base.resolve(img.get("path").asText()));
                points.add(p);
            }
        }
        return new ForwardRequest(tokens, text, images, points.stream().mapToInt(Integer::intValue).toArray(), false, null);
    }

    private static ForwardRequest parseHf(Path file, JsonNode root, Path base) {
        int[] ids = ids(file, root.get("input_ids"), "input_ids");
        List<Path> images = new ArrayList<>();
        JsonNode imgs = root.path("images");
        if (!imgs.isMissingNode() && !imgs.isNull()) {
            if (!imgs.isArray()) throw new IllegalArgumentException(file + ": \"images\" must be an array of paths");
            for (int i = 0; i < imgs.size(); i++) {
                if (!imgs.get(i).isTextual()) throw new IllegalArgumentException(file + ": images[" + i + "] must be a path string");
                images.add(base.resolve(imgs.get(i).asText()));
            }
        }
        Integer prefill = null;
        if (root.has("prefill_tokens") && !root.get("prefill_tokens").isNull()) {
            JsonNode p = root.get("prefill_tokens");
            if (!p.isIntegralNumber() || !p.canConvertToInt() || p.asInt() < 0 || p.asInt() > ids.length) {
                throw new IllegalArgumentException(file + ": prefill_tokens must be an integer in [0, " + ids.length + "]");
            }
            prefill = p.asInt();
        }
        return new ForwardRequest(ids, null, images, new int[0], true, prefill);
    }

    private static int[] ids(Path file, JsonNode t, String key) {
        if (!t.isArray()) throw new IllegalArgumentException(file + ": \"" + key + "\" must be an array of integers");
        int[] out = new int[t.size()];
        for (int i = 0; i < t.size(); i++) {
            if (!t.get(i).isIntegralNumber() || !t.get(i).canConvertToInt()) {
                throw new IllegalArgumentException(file + ": " + key + "[" + i + "] is not an integer token id");
            }
            out[i] = t.get(i).asInt();
        }
        return out;
    }
}
