package dev.casa.text.casa;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.config.ConfigValueException;
import dev.casa.core.config.JsonConfig;
import java.util.Arrays;

/**
 * {@code casa_config}: which decoder layers have a CASA attention, whether it reuses the layer's
 * self-attention projections, and how image keys are rotated. Values that depend on the text config
 * (the layer count, M-RoPE) are resolved by {@link #layers(int)} and {@link #imageRope(boolean)}.
 *
 * @param layersSpec {@code "all"}, absent, or a list of layer indices
 */
public record CasaConfig(
        @JsonProperty("layers") JsonNode layersSpec,
        @JsonProperty("share_projections") Boolean shareProjections,
        @JsonProperty("image_rope") String imageRopeName) {

    public CasaConfig {
        if (shareProjections == null) shareProjections = false;
        if (imageRopeName != null) {
            try {
                ImageRope.parse(imageRopeName);
            } catch (IllegalArgumentException e) {
                throw new ConfigValueException("image_rope", e.getMessage());
            }
        }
    }

    /** CASA in every layer. */
    public static CasaConfig allLayers(boolean shareProjections, ImageRope rope) {
        return new CasaConfig(null, shareProjections, rope.name().toLowerCase(java.util.Locale.ROOT));
    }

    /** The CASA layer indices, sorted and distinct, each in [0, numLayers). */
    public int[] layers(int numLayers) {
        JsonNode spec = layersSpec;
        if (spec == null || spec.isNull() || (spec.isTextual() && spec.textValue().equals("all"))) {
            int[] all = new int[numLayers];
            for (int i = 0; i < numLayers; i++) all[i] = i;
            return all;
        }
        if (!spec.isArray()) throw new ConfigValueException("layers", "expected \"all\" or a list of layer indices, found " + JsonConfig.describe(spec));
        int[] layers = new int[spec.size()];
        for (int i = 0; i < layers.length; i++) {
            JsonNode v = spec.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new ConfigValueException("layers", "expected integer layer indices, found " + JsonConfig.describe(v));
            layers[i] = v.intValue();
        }
        Arrays.sort(layers);
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 0 || layers[i] >= numLayers) {
                throw new ConfigValueException("layers", "layer index " + layers[i] + " out of range [0, " + numLayers + ")");
            }
            if (i > 0 && layers[i] == layers[i - 1]) throw new ConfigValueException("layers", "layer index " + layers[i] + " repeated");
        }
        return layers;
    }

    /**
     * The image-key rotation: as written, else {@code mrope_grid} with M-RoPE and {@code window_start}
     * without (casa-qwen.md §2). {@code mrope_grid} without M-RoPE is an error.
     */
    public ImageRope imageRope(boolean multimodalRope) {
        ImageRope rope = imageRopeName == null
                ? (multimodalRope ? ImageRope.MROPE_GRID : ImageRope.WINDOW_START)
                : ImageRope.parse(imageRopeName);
        if (rope == ImageRope.MROPE_GRID && !multimodalRope) {
            throw new ConfigValueException("image_rope", "mrope_grid needs M-RoPE (text_config.rope_scaling.mrope_section)");
        }
        return rope;
    }
}
