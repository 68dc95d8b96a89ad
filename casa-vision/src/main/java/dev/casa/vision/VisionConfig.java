package dev.casa.vision;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The SigLIP vision tower hyper-parameters: HF {@code SiglipVisionConfig}, with its defaults for
 * absent keys (HF omits keys equal to the defaults when it saves a config).
 */
public record VisionConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                           int numChannels, int imageSize, int patchSize, HiddenAct hiddenAct, float layerNormEps) {

    public VisionConfig {
        if (hiddenSize % numAttentionHeads != 0) {
            throw new VisionModelException("vision_config.hidden_size " + hiddenSize
                    + " is not divisible by vision_config.num_attention_heads " + numAttentionHeads);
        }
        // Like HF (a stride-p conv without padding), a remainder of S mod p pixels is ignored:
        // so400m/14@384 has a 27×27 grid over 378 of its 384 pixels.
        if (imageSize < patchSize) {
            throw new VisionModelException("vision_config.image_size " + imageSize
                    + " is smaller than vision_config.patch_size " + patchSize);
        }
        long patches = (long) (imageSize / patchSize) * (imageSize / patchSize);
        if (patches * Math.max(hiddenSize, intermediateSize) > Integer.MAX_VALUE / 8) {
            throw new VisionModelException("vision_config: image_size " + imageSize + " / patch_size " + patchSize
                    + " gives " + patches + " tokens, too many for this encoder");
        }
    }

    /** Reads {@code vision_config} (the object itself, not the whole config.json). */
    public static VisionConfig fromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new VisionModelException("vision_config must be a JSON object, found " + describe(node));
        }
        return new VisionConfig(
                positiveInt(node, "hidden_size", 768),
                positiveInt(node, "intermediate_size", 3072),
                positiveInt(node, "num_hidden_layers", 12),
                positiveInt(node, "num_attention_heads", 12),
                positiveInt(node, "num_channels", 3),
                positiveInt(node, "image_size", 224),
                positiveInt(node, "patch_size", 16),
                HiddenAct.parse(string(node, "hidden_act", "gelu_pytorch_tanh"), "vision_config.hidden_act"),
                nonNegativeFloat(node, "layer_norm_eps", 1e-6f));
    }

    public int headDim() { return hiddenSize / numAttentionHeads; }

    /** Patches per side of the square image, floor(S/p) as HF's conv. */
    public int gridSize() { return imageSize / patchSize; }

    /** Tokens per image, (S/p)². */
    public int numPatches() { return gridSize() * gridSize(); }

    /** Floats in one normalised image, C·S·S. */
    public int pixelsPerImage() { return numChannels * imageSize * imageSize; }

    /** Length of one im2col row, C·p·p (the flattened conv kernel). */
    public int patchVectorSize() { return numChannels * patchSize * patchSize; }

    static int positiveInt(JsonNode node, String key, int fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= 0) {
            throw new VisionModelException("vision_config." + key + " must be a positive integer, found " + describe(v));
        }
        return v.intValue();
    }

    static String string(JsonNode node, String key, String fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isTextual()) throw new VisionModelException("vision_config." + key + " must be a string, found " + describe(v));
        return v.textValue();
    }

    static float nonNegativeFloat(JsonNode node, String key, float fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber() || !(v.doubleValue() >= 0) || Double.isInfinite(v.doubleValue())) {
            throw new VisionModelException("vision_config." + key + " must be a non-negative number, found " + describe(v));
        }
        return (float) v.doubleValue();
    }

    static String describe(JsonNode v) {
        return v == null ? "nothing" : v.getNodeType().name().toLowerCase() + " " + v;
    }
}
