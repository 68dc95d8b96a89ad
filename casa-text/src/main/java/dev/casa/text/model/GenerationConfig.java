package dev.casa.text.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The optional generation_config.json: stop ids and sampling defaults. Every field may be absent.
 *
 * @param eosTokenIds {@code eos_token_id} as an int or a list; empty if absent
 * @param raw         the whole object, for sampling defaults read elsewhere
 */
public record GenerationConfig(List<Integer> eosTokenIds, Integer bosTokenId, Integer padTokenId, JsonNode raw) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static GenerationConfig empty() {
        return new GenerationConfig(List.of(), null, null, JSON.createObjectNode());
    }

    /** Reads {@code dir/generation_config.json}, or {@link #empty()} if the file does not exist. */
    public static GenerationConfig load(Path dir) {
        Path file = dir.resolve("generation_config.json");
        if (!Files.exists(file)) return empty();
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    public static GenerationConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new ModelFormatException(source + ": expected a JSON object");
        JsonFields f = new JsonFields(root, source, "");
        return new GenerationConfig(f.intOrIntList("eos_token_id"), f.optInteger("bos_token_id"),
                f.optInteger("pad_token_id"), root);
    }
}
