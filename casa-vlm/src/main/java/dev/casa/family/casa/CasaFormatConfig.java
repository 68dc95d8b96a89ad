package dev.casa.family.casa;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.casa.core.config.ConfigChecks;
import dev.casa.core.config.ConfigValueException;

/**
 * The top-level keys of our format's config.json (model-format.md §2); {@code text_config},
 * {@code casa_config} and {@code vision_config} are bound by their own records.
 *
 * @param imageTokenId the insertion placeholder, null if absent
 */
public record CasaFormatConfig(
        @JsonProperty("model_type") String modelType,
        @JsonProperty("fusion") String fusion,
        @JsonProperty("image_token_id") Integer imageTokenId,
        @JsonProperty("pre_image_tokens") int[] preImageTokens,
        @JsonProperty("post_image_tokens") int[] postImageTokens) {

    public enum Fusion { CASA, INSERTION }

    public CasaFormatConfig {
        ConfigChecks.check("casa".equals(modelType), "model_type", "expected \"casa\", found \"" + modelType + "\"");
        ConfigChecks.required("fusion", fusion);
        if (!fusion.equals("casa") && !fusion.equals("insertion")) {
            throw new ConfigValueException("fusion", "expected \"casa\" or \"insertion\", found \"" + fusion + "\"");
        }
        preImageTokens = preImageTokens == null ? new int[0] : preImageTokens.clone();
        postImageTokens = postImageTokens == null ? new int[0] : postImageTokens.clone();
    }

    public Fusion fusionKind() { return fusion.equals("casa") ? Fusion.CASA : Fusion.INSERTION; }

    @Override
    public int[] preImageTokens() { return preImageTokens.clone(); }

    @Override
    public int[] postImageTokens() { return postImageTokens.clone(); }

    /** Every token id this config names is below the vocabulary size. */
    public void checkTokenIds(int vocab) {
        if (imageTokenId != null) ConfigChecks.tokenId("image_token_id", imageTokenId, vocab);
        for (int id : preImageTokens) ConfigChecks.tokenId("pre_image_tokens", id, vocab);
        for (int id : postImageTokens) ConfigChecks.tokenId("post_image_tokens", id, vocab);
    }
}
