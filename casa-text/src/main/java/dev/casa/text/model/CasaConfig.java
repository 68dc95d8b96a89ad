package dev.casa.text.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A model's config.json (model-format.md §2). Unknown keys are ignored; a missing required key or
 * a bad value is a {@link ModelFormatException} naming the file and the key.
 *
 * @param casa               null when {@code fusion} is insertion
 * @param imageTokenId       the insertion placeholder, null if absent
 * @param visionFeatureLayer null: the post_layernorm output (§4.1)
 * @param visionConfig       the raw {@code vision_config} object for the vision side; null for a
 *                           text-only model
 */
public record CasaConfig(
        String modelType,
        Fusion fusion,
        TextConfig text,
        CasaOptions casa,
        Integer imageTokenId,
        int[] preImageTokens,
        int[] postImageTokens,
        Integer visionFeatureLayer,
        String projectorHiddenAct,
        JsonNode visionConfig) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public CasaConfig {
        preImageTokens = preImageTokens.clone();
        postImageTokens = postImageTokens.clone();
    }

    @Override
    public int[] preImageTokens() { return preImageTokens.clone(); }

    @Override
    public int[] postImageTokens() { return postImageTokens.clone(); }

    public boolean hasVision() { return visionConfig != null; }

    /** Reads {@code dir/config.json}. */
    public static CasaConfig load(Path dir) {
        Path file = dir.resolve("config.json");
        try {
            return parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found (a model directory needs config.json)");
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Parses config.json text; {@code source} names it in errors. */
    public static CasaConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new ModelFormatException(source + ": expected a JSON object");
        JsonFields f = new JsonFields(root, source, "");
        String modelType = f.requiredString("model_type");
        if (!modelType.equals("casa")) throw f.error("model_type", "expected \"casa\", found \"" + modelType + "\"");
        Fusion fusion;
        try {
            fusion = Fusion.parse(f.requiredString("fusion"));
        } catch (IllegalArgumentException e) {
            throw f.error("fusion", e.getMessage());
        }
        TextConfig text = TextConfig.parse(f.object("text_config"));
        CasaOptions casa = fusion == Fusion.CASA ? CasaOptions.parse(f.object("casa_config"), text.numHiddenLayers()) : null;
        Integer imageTokenId = f.optInteger("image_token_id");
        if (imageTokenId != null) checkTokenId(f, "image_token_id", imageTokenId, text.vocabSize());
        int[] pre = f.optIntArray("pre_image_tokens");
        int[] post = f.optIntArray("post_image_tokens");
        for (int id : pre) checkTokenId(f, "pre_image_tokens", id, text.vocabSize());
        for (int id : post) checkTokenId(f, "post_image_tokens", id, text.vocabSize());
        Integer featureLayer = f.optInteger("vision_feature_layer");
        String projectorAct = f.optString("projector_hidden_act", "gelu");
        JsonNode vision = null;
        if (f.has("vision_config")) vision = f.object("vision_config").node();
        return new CasaConfig(modelType, fusion, text, casa, imageTokenId, pre, post, featureLayer, projectorAct, vision);
    }

    private static void checkTokenId(JsonFields f, String key, int id, int vocab) {
        if (id < 0 || id >= vocab) throw f.error(key, "token id " + id + " out of range [0, vocab_size=" + vocab + ")");
    }

    @Override
    public String toString() {
        return "CasaConfig[fusion=" + fusion + ", text=" + text + ", casa=" + casa + ", imageTokenId=" + imageTokenId
                + ", pre=" + Arrays.toString(preImageTokens) + ", post=" + Arrays.toString(postImageTokens)
                + ", visionFeatureLayer=" + visionFeatureLayer + ", vision=" + (visionConfig != null) + "]";
    }
}
