package dev.casa.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * What the vision side of config.json says: the tower ({@code vision_config}), which hidden state
 * becomes the image features ({@code vision_feature_layer}, HF LLaVA meaning) and the projector
 * activation ({@code projector_hidden_act}, default {@code gelu} as HF LlavaConfig).
 *
 * @param featureLayer     {@code vision_feature_layer} as written (negative counts from the end), or empty
 * @param textHiddenSize   {@code text_config.hidden_size} when present: the projector width is checked against it
 */
public record VisionModelConfig(VisionConfig vision, OptionalInt featureLayer, HiddenAct projectorAct,
                                OptionalInt textHiddenSize) {

    public VisionModelConfig {
        if (featureLayer.isPresent()) {
            int k = featureLayer.getAsInt();
            int states = vision.numHiddenLayers() + 1; // hidden_states[0] is the embedding output
            if (k >= states || k < -states) {
                throw new VisionModelException("vision_feature_layer " + k + " is out of range for "
                        + vision.numHiddenLayers() + " encoder layers (valid: " + -states + ".." + (states - 1) + ")");
            }
        }
    }

    /** Reads the vision keys of a whole config.json tree. */
    public static VisionModelConfig fromJson(JsonNode root) {
        if (root == null || !root.isObject()) throw new VisionModelException("config.json must hold a JSON object");
        JsonNode vc = root.get("vision_config");
        if (vc == null || vc.isNull()) throw new VisionModelException("config.json has no vision_config (a model without a vision tower)");
        VisionConfig vision = VisionConfig.fromJson(vc);

        OptionalInt layer = OptionalInt.empty();
        JsonNode fl = root.get("vision_feature_layer");
        if (fl != null && !fl.isNull()) {
            if (fl.isArray()) {
                throw new VisionModelException("vision_feature_layer: a list of layers (concatenated features) is not supported, found " + fl);
            }
            if (!fl.isIntegralNumber() || !fl.canConvertToInt()) {
                throw new VisionModelException("vision_feature_layer must be an integer, found " + VisionConfig.describe(fl));
            }
            layer = OptionalInt.of(fl.intValue());
        }

        JsonNode act = root.get("projector_hidden_act");
        String actName = "gelu";
        if (act != null && !act.isNull()) {
            if (!act.isTextual()) throw new VisionModelException("projector_hidden_act must be a string, found " + VisionConfig.describe(act));
            actName = act.textValue();
        }

        OptionalInt textHidden = OptionalInt.empty();
        JsonNode tc = root.get("text_config");
        if (tc != null && tc.isObject() && tc.has("hidden_size")) {
            JsonNode h = tc.get("hidden_size");
            if (!h.isIntegralNumber() || !h.canConvertToInt() || h.intValue() <= 0) {
                throw new VisionModelException("text_config.hidden_size must be a positive integer, found " + VisionConfig.describe(h));
            }
            textHidden = OptionalInt.of(h.intValue());
        }
        return new VisionModelConfig(vision, layer, HiddenAct.parse(actName, "projector_hidden_act"), textHidden);
    }

    /** Reads {@code configJson} (a config.json file); errors name the file. */
    public static VisionModelConfig read(Path configJson) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(configJson.toFile());
        } catch (IOException e) {
            throw new VisionModelException("cannot read " + configJson + ": " + e.getMessage(), e);
        }
        try {
            return fromJson(root);
        } catch (VisionModelException e) {
            throw new VisionModelException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** How many encoder layers must run to produce the features. */
    public int layersToRun() {
        if (featureLayer.isEmpty()) return vision.numHiddenLayers();
        int k = featureLayer.getAsInt();
        return k >= 0 ? k : vision.numHiddenLayers() + 1 + k;
    }

    /** True when the features are {@code post_layernorm(h_L)} (no {@code vision_feature_layer}). */
    public boolean usesPostLayerNorm() { return featureLayer.isEmpty(); }
}
