package dev.casa.family.smolvlm;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.casa.core.config.ConfigChecks;

/**
 * The top-level keys of an Idefics3 / SmolVLM config.json, with HF v4.51.3's defaults
 * ({@code Idefics3Config}, {@code SmolVLMConfig}): the image placeholder id and the connector's pixel-shuffle
 * factor. {@code text_config} and {@code vision_config} are bound by their own records.
 */
public record SmolVLMConfig(
        @JsonProperty("image_token_id") Integer imageTokenId,
        @JsonProperty("scale_factor") Integer scaleFactor) {

    public SmolVLMConfig {
        if (imageTokenId == null) imageTokenId = 128257;
        ConfigChecks.nonNegative("image_token_id", imageTokenId);
        if (scaleFactor == null) scaleFactor = 2;
        ConfigChecks.positive("scale_factor", scaleFactor);
    }
}
