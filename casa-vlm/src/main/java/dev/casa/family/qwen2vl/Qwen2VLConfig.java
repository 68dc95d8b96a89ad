package dev.casa.family.qwen2vl;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The top-level token ids of a Qwen2-VL / Qwen2.5-VL config.json (HF defaults when absent); the text
 * model's keys (top level, or {@code text_config} in configs re-saved by transformers ≥ 4.52) and
 * {@code vision_config} are bound by their own records.
 */
public record Qwen2VLConfig(
        @JsonProperty("image_token_id") Integer imageTokenId,
        @JsonProperty("video_token_id") Integer videoTokenId,
        @JsonProperty("vision_start_token_id") Integer visionStartTokenId,
        @JsonProperty("vision_end_token_id") Integer visionEndTokenId) {

    public Qwen2VLConfig {
        if (imageTokenId == null) imageTokenId = 151655;
        if (videoTokenId == null) videoTokenId = 151656;
        if (visionStartTokenId == null) visionStartTokenId = 151652;
        if (visionEndTokenId == null) visionEndTokenId = 151653;
    }
}
