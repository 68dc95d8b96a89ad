package dev.casa.text.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The parts of {@code tokenizer_config.json} the library reads: {@code bos_token}, {@code eos_token}
 * (a string or an AddedToken object with {@code content}) and {@code chat_template} (a string, or a
 * list of named templates of which "default" is used).
 */
public record TokenizerConfig(String bosToken, String eosToken, String chatTemplate) {

    public static TokenizerConfig empty() { return new TokenizerConfig(null, null, null); }

    /** Reads {@code dir/tokenizer_config.json}; absent file: {@link #empty()}. */
    public static TokenizerConfig load(Path dir) {
        Path file = dir.resolve("tokenizer_config.json");
        if (!Files.exists(file)) return empty();
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not readable JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object");
        return new TokenizerConfig(tokenText(root.get("bos_token"), file, "bos_token"),
                tokenText(root.get("eos_token"), file, "eos_token"), template(root.get("chat_template"), file));
    }

    private static String tokenText(JsonNode n, Path file, String key) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").asText();
        throw new IllegalArgumentException(file + ": " + key + " must be a string or an object with \"content\"");
    }

    private static String template(JsonNode n, Path file) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isArray()) {
            for (JsonNode t : n) {
                if ("default".equals(t.path("name").asText()) && t.path("template").isTextual()) return t.get("template").asText();
            }
            throw new IllegalArgumentException(file + ": chat_template list has no \"default\" template");
        }
        throw new IllegalArgumentException(file + ": chat_template must be a string or a list of named templates");
    }
}
