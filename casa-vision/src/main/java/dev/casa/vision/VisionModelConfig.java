package dev.casa.vision;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.config.ConfigValueException;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.nn.Activation;
import dev.casa.vision.siglip.SiglipVisionConfig;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * What the vision side of our format's config.json says (model-format.md): the SigLIP tower
 * ({@code vision_config}, HF {@code SiglipVisionConfig} defaults), which hidden state becomes the image
 * features ({@code vision_feature_layer}, HF LLaVA meaning) and the projector activation
 * ({@code projector_hidden_act}, default {@code gelu} as HF LlavaConfig).
 *
 * @param featureLayer     {@code vision_feature_layer} as written (negative counts from the end), or empty
 * @param textHiddenSize   {@code text_config.hidden_size} when present: the projector width is checked against it
 */
public record VisionModelConfig(SiglipVisionConfig vision, OptionalInt featureLayer, Activation projectorAct,
                                OptionalInt textHiddenSize) {

    /** The top-level keys, bound by Jackson; {@code vision_feature_layer} must be one integer (a list is refused). */
    record TopLevel(@JsonProperty("vision_feature_layer") Integer featureLayer,
                    @JsonProperty("projector_hidden_act") String projectorAct) {
        TopLevel {
            if (projectorAct == null) projectorAct = "gelu";
            try {
                Activation.fromHf(projectorAct);
            } catch (IllegalArgumentException e) {
                throw new ConfigValueException("projector_hidden_act", e.getMessage());
            }
        }
    }

    /** {@code text_config.hidden_size}, if given. */
    record TextWidth(@JsonProperty("hidden_size") Integer hiddenSize) {
        TextWidth {
            if (hiddenSize != null && hiddenSize <= 0) throw new ConfigValueException("hidden_size", "expected a positive integer, found " + hiddenSize);
        }
    }

    /** Reads the vision keys of a parsed config.json; errors name its source and the dotted key. */
    public static VisionModelConfig read(JsonConfig c) {
        if (!c.has("vision_config")) throw c.error("vision_config", "missing required key (a model without a vision tower)");
        SiglipVisionConfig vision = SiglipVisionConfig.read(c, SiglipVisionConfig.Variant.SIGLIP);
        JsonNode fl = c.node("vision_feature_layer");
        if (fl != null && fl.isArray()) {
            throw c.error("vision_feature_layer", "a list of layers (concatenated features) is not supported, found " + JsonConfig.describe(fl));
        }
        TopLevel top = c.bind(TopLevel.class);
        OptionalInt layer = top.featureLayer() == null ? OptionalInt.empty() : OptionalInt.of(top.featureLayer());
        if (layer.isPresent()) {
            int k = layer.getAsInt();
            int states = vision.numHiddenLayers() + 1; // hidden_states[0] is the embedding output
            if (k >= states || k < -states) {
                throw c.error("vision_feature_layer", k + " is out of range for " + vision.numHiddenLayers()
                        + " encoder layers (valid: " + -states + ".." + (states - 1) + ")");
            }
        }
        OptionalInt textHidden = OptionalInt.empty();
        if (c.has("text_config") && c.node("text_config").isObject()) {
            Integer h = c.bind("text_config", TextWidth.class).hiddenSize();
            if (h != null) textHidden = OptionalInt.of(h);
        }
        return new VisionModelConfig(vision, layer, Activation.fromHf(top.projectorAct()), textHidden);
    }

    /** Reads the vision keys of a whole config.json tree. */
    public static VisionModelConfig fromJson(JsonNode root) {
        return read(JsonConfig.of(root, "config.json"));
    }

    /** Reads {@code configJson} (a config.json file); errors name the file. */
    public static VisionModelConfig read(Path configJson) {
        return read(JsonConfig.read(configJson));
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
