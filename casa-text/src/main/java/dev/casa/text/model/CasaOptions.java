package dev.casa.text.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * {@code casa_config}: which decoder layers have a CASA attention, whether it reuses the
 * self-attention projections, and how image keys are rotated.
 *
 * @param layers sorted, distinct decoder layer indices
 */
public record CasaOptions(int[] layers, boolean shareProjections, ImageRope imageRope) {

    public CasaOptions {
        layers = layers.clone();
    }

    @Override
    public int[] layers() { return layers.clone(); }

    public boolean isCasaLayer(int layer) { return Arrays.binarySearch(layers, layer) >= 0; }

    @Override
    public String toString() {
        return "CasaOptions[layers=" + Arrays.toString(layers) + ", shareProjections=" + shareProjections
                + ", imageRope=" + imageRope + "]";
    }

    static CasaOptions parse(JsonFields f, int numLayers) {
        int[] layers;
        JsonNode spec = f.node().get("layers");
        if (spec == null || spec.isNull() || (spec.isTextual() && spec.textValue().equals("all"))) {
            layers = new int[numLayers];
            for (int i = 0; i < numLayers; i++) layers[i] = i;
        } else if (spec.isArray()) {
            int[] given = f.optIntArray("layers");
            layers = given.clone();
            Arrays.sort(layers);
            for (int i = 0; i < layers.length; i++) {
                if (layers[i] < 0 || layers[i] >= numLayers) {
                    throw f.error("layers", "layer index " + layers[i] + " out of range [0, " + numLayers + ")");
                }
                if (i > 0 && layers[i] == layers[i - 1]) throw f.error("layers", "layer index " + layers[i] + " repeated");
            }
        } else {
            throw f.error("layers", "expected \"all\" or a list of layer indices, found " + JsonFields.describe(spec));
        }
        boolean share = f.optBoolean("share_projections", false);
        ImageRope rope;
        try {
            rope = ImageRope.parse(f.optString("image_rope", "window_start"));
        } catch (IllegalArgumentException e) {
            throw f.error("image_rope", e.getMessage());
        }
        return new CasaOptions(layers, share, rope);
    }
}
