package dev.casa.text.lm;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.casa.core.config.ConfigValueException;
import java.util.Arrays;

/**
 * {@code rope_scaling} of an HF text config. Supported: absent or {@code default} (plain RoPE),
 * {@code default}/{@code mrope} with {@code mrope_section} (Qwen2-VL's multimodal RoPE), and {@code llama3}.
 * Anything else is refused at load rather than run with the wrong frequencies.
 */
public record RopeScaling(
        @JsonProperty("rope_type") String ropeType,
        @JsonProperty("type") String type,
        @JsonProperty("mrope_section") int[] mropeSection,
        @JsonProperty("factor") Double factor,
        @JsonProperty("low_freq_factor") Double lowFreqFactor,
        @JsonProperty("high_freq_factor") Double highFreqFactor,
        @JsonProperty("original_max_position_embeddings") Integer originalMaxPositionEmbeddings) {

    public enum Kind { DEFAULT, MROPE, LLAMA3 }

    public RopeScaling {
        String name = kindName(ropeType, type);
        switch (name) {
            case "default", "mrope" -> {
                if (name.equals("mrope") && mropeSection == null) throw new ConfigValueException("mrope_section", "missing (needed by rope type mrope)");
                if (mropeSection != null) {
                    for (int s : mropeSection) if (s < 0) throw new ConfigValueException("mrope_section", "negative section in " + Arrays.toString(mropeSection));
                }
            }
            case "llama3" -> {
                if (factor == null || !(factor > 0)) throw new ConfigValueException("factor", "llama3 rope scaling needs a positive factor, found " + factor);
                if (lowFreqFactor == null || highFreqFactor == null || !(highFreqFactor > lowFreqFactor)) {
                    throw new ConfigValueException("high_freq_factor", "llama3 rope scaling needs low_freq_factor < high_freq_factor, found "
                            + lowFreqFactor + ", " + highFreqFactor);
                }
                if (originalMaxPositionEmbeddings == null || originalMaxPositionEmbeddings <= 0) {
                    throw new ConfigValueException("original_max_position_embeddings", "llama3 rope scaling needs a positive value, found " + originalMaxPositionEmbeddings);
                }
            }
            default -> throw new ConfigValueException(ropeType != null ? "rope_type" : "type",
                    "rope scaling '" + name + "' is not supported (supported: default, mrope (with mrope_section), llama3)");
        }
        mropeSection = mropeSection == null ? null : mropeSection.clone();
    }

    private static String kindName(String ropeType, String type) {
        if (ropeType != null) return ropeType;
        if (type != null) return type;
        return "default";
    }

    /** Plain, multimodal (mrope_section present) or llama3. */
    public Kind kind() {
        String name = kindName(ropeType, type);
        if (name.equals("llama3")) return Kind.LLAMA3;
        return mropeSection != null ? Kind.MROPE : Kind.DEFAULT;
    }

    @Override
    public int[] mropeSection() { return mropeSection == null ? null : mropeSection.clone(); }

    @Override
    public String toString() {
        return "RopeScaling[" + kind() + (mropeSection != null ? " " + Arrays.toString(mropeSection) : "")
                + (factor != null ? " factor=" + factor : "") + "]";
    }
}
