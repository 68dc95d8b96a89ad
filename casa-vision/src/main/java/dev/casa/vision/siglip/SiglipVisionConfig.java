package dev.casa.vision.siglip;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.core.config.ConfigChecks;
import dev.casa.core.config.ConfigValueException;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.nn.Activation;

/**
 * A SigLIP-style {@code vision_config}, bound by Jackson, with the defaults of the HF class it is read as
 * (HF omits keys equal to the defaults when it saves a config). Two HF classes share this tower:
 * <table>
 *   <tr><th>{@link Variant}</th><th>HF v4.51.3 class</th><th>defaults: hidden, intermediate, layers, heads, image, patch</th></tr>
 *   <tr><td>{@code SIGLIP}</td><td>{@code SiglipVisionConfig} (our format; LLaVA-style checkpoints)</td><td>768, 3072, 12, 12, 224, 16</td></tr>
 *   <tr><td>{@code IDEFICS3}</td><td>{@code Idefics3VisionConfig}, {@code SmolVLMVisionConfig}</td><td>1152, 3072, 12, 16, 224, 32</td></tr>
 * </table>
 * Both: 3 channels, {@code gelu_pytorch_tanh}, LayerNorm eps 1e-6. The variant also decides the position ids
 * ({@link PatchPositions}). HF picks the class from the enclosing model, not from {@code vision_config.model_type}
 * (SmolVLM-256M's says {@code "idefics3"}); {@link #read(JsonConfig, Variant)} does the same.
 */
public record SiglipVisionConfig(
        @JsonProperty("model_type") String modelType,
        @JsonProperty("hidden_size") Integer hiddenSize,
        @JsonProperty("intermediate_size") Integer intermediateSize,
        @JsonProperty("num_hidden_layers") Integer numHiddenLayers,
        @JsonProperty("num_attention_heads") Integer numAttentionHeads,
        @JsonProperty("num_channels") Integer numChannels,
        @JsonProperty("image_size") Integer imageSize,
        @JsonProperty("patch_size") Integer patchSize,
        @JsonProperty("hidden_act") String hiddenAct,
        @JsonProperty("layer_norm_eps") Double layerNormEps) {

    /** Which HF vision class the config is read as. */
    public enum Variant {
        /** {@code SiglipVisionModel}: a fixed image size, position ids {@code 0..N-1}. */
        SIGLIP("siglip_vision_model"),
        /** {@code Idefics3VisionTransformer} / {@code SmolVLMVisionTransformer}: bucketed position ids. */
        IDEFICS3("idefics3_vision");

        private final String modelType;

        Variant(String modelType) { this.modelType = modelType; }

        /** The HF {@code model_type} of the vision config class. */
        public String modelType() { return modelType; }

        /** The variant of a vision {@code model_type}; {@code smolvlm_vision} is Idefics3's. */
        public static Variant fromModelType(String type) {
            return switch (type) {
                case "siglip_vision_model" -> SIGLIP;
                case "idefics3_vision", "smolvlm_vision" -> IDEFICS3;
                default -> null;
            };
        }
    }

    public SiglipVisionConfig {
        Variant v = modelType == null ? Variant.SIGLIP : Variant.fromModelType(modelType);
        if (v == null) {
            throw new ConfigValueException("model_type", "expected siglip_vision_model, idefics3_vision or smolvlm_vision, found \""
                    + modelType + "\"");
        }
        boolean idefics = v == Variant.IDEFICS3;
        modelType = v.modelType();
        hiddenSize = ConfigChecks.positive("hidden_size", or(hiddenSize, idefics ? 1152 : 768));
        intermediateSize = ConfigChecks.positive("intermediate_size", or(intermediateSize, 3072));
        numHiddenLayers = ConfigChecks.positive("num_hidden_layers", or(numHiddenLayers, 12));
        numAttentionHeads = ConfigChecks.positive("num_attention_heads", or(numAttentionHeads, idefics ? 16 : 12));
        numChannels = ConfigChecks.positive("num_channels", or(numChannels, 3));
        imageSize = ConfigChecks.positive("image_size", or(imageSize, 224));
        patchSize = ConfigChecks.positive("patch_size", or(patchSize, idefics ? 32 : 16));
        hiddenAct = or(hiddenAct, "gelu_pytorch_tanh");
        try {
            Activation.fromHf(hiddenAct);
        } catch (IllegalArgumentException e) {
            throw new ConfigValueException("hidden_act", e.getMessage());
        }
        layerNormEps = or(layerNormEps, 1e-6);
        ConfigChecks.check(layerNormEps >= 0 && !layerNormEps.isInfinite(), "layer_norm_eps",
                "expected a number >= 0, found " + layerNormEps);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new ConfigValueException("num_attention_heads", "must divide hidden_size " + hiddenSize + ", found " + numAttentionHeads);
        }
        // Like HF (a stride-p conv without padding), a remainder of S mod p pixels is ignored:
        // so400m/14@384 has a 27×27 grid over 378 of its 384 pixels.
        if (imageSize < patchSize) {
            throw new ConfigValueException("image_size", "is smaller than patch_size " + patchSize + ", found " + imageSize);
        }
        long patches = (long) (imageSize / patchSize) * (imageSize / patchSize);
        if (patches * Math.max(hiddenSize, intermediateSize) > Integer.MAX_VALUE / 8) {
            throw new ConfigValueException("image_size", imageSize + " / patch_size " + patchSize + " gives " + patches
                    + " tokens, too many for this encoder");
        }
    }

    /** HF's defaults for {@code variant} (a vision_config holding only its model_type). */
    public static SiglipVisionConfig defaults(Variant variant) {
        return new SiglipVisionConfig(variant.modelType(), null, null, null, null, null, null, null, null, null);
    }

    /**
     * {@code vision_config} of a whole config.json read as {@code variant}, whatever its own
     * {@code model_type} says (HF builds the vision config class of the enclosing model).
     */
    public static SiglipVisionConfig read(JsonConfig config, Variant variant) {
        JsonNode vc = config.node("vision_config");
        if (vc != null && vc.isObject()) {
            ObjectNode root = config.root().deepCopy();
            ((ObjectNode) root.get("vision_config")).put("model_type", variant.modelType());
            return JsonConfig.of(root, config.source()).bind("vision_config", SiglipVisionConfig.class);
        }
        return config.bind("vision_config", SiglipVisionConfig.class);
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    public Variant variant() { return Variant.fromModelType(modelType); }

    public Activation activation() { return Activation.fromHf(hiddenAct); }

    public int headDim() { return hiddenSize / numAttentionHeads; }

    /** Patches per side of the position table, {@code floor(image_size / patch_size)}. */
    public int gridSize() { return imageSize / patchSize; }

    /** Rows of the position table, {@code gridSize()²}; the tokens of an {@code image_size} image. */
    public int numPatches() { return gridSize() * gridSize(); }

    /** Floats in one normalised {@code image_size} image, C·S·S. */
    public int pixelsPerImage() { return numChannels * imageSize * imageSize; }

    /** Length of one im2col row, C·p·p (the flattened conv kernel). */
    public int patchVectorSize() { return numChannels * patchSize * patchSize; }
}
