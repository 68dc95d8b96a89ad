package dev.casa.vision.processor;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.vision.image.ResampleFilter;
import java.nio.file.Path;

/**
 * {@code Qwen2VLImageProcessor}'s settings (Qwen2-VL, Qwen2.5-VL) as transformers v4.51.3 reads
 * preprocessor_config.json: absent keys take its defaults, unknown keys are ignored.
 *
 * <p>{@code size} quirk of v4.51.3's {@code __init__}: a {@code size} must hold both
 * {@code shortest_edge} and {@code longest_edge} (else it is an error), but its values are then
 * discarded for the defaults (56·56, 28·28·1280); only {@code min_pixels} / {@code max_pixels} override
 * them. So a config with only {@code size} gets the default pixel range, exactly as in HF.
 *
 * @param doResize          {@code do_resize} (default true)
 * @param resample          {@code resample} (default 3, BICUBIC)
 * @param scaling           rescale (1/255) and normalize (OpenAI CLIP mean/std)
 * @param minPixels         {@code min_pixels} (default 3136)
 * @param maxPixels         {@code max_pixels} (default 1003520)
 * @param patchSize         {@code patch_size} (default 14)
 * @param temporalPatchSize {@code temporal_patch_size} (default 2)
 * @param mergeSize         {@code merge_size} (default 2)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Qwen2VLProcessorConfig(boolean doResize, ResampleFilter resample, PixelScaling scaling,
                                     long minPixels, long maxPixels, int patchSize, int temporalPatchSize,
                                     int mergeSize) {
    public static final long DEFAULT_MIN_PIXELS = 56 * 56;
    public static final long DEFAULT_MAX_PIXELS = 28 * 28 * 1280;

    /** The settings of {@code file}. */
    public static Qwen2VLProcessorConfig load(Path file) {
        return ConfigJson.bind(ConfigJson.read(file), Qwen2VLProcessorConfig.class);
    }

    /** HF's defaults (a config file holding {@code {}}). */
    public static Qwen2VLProcessorConfig defaults() {
        return fromJson(null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    @JsonCreator
    static Qwen2VLProcessorConfig fromJson(
            @JsonProperty("do_resize") Boolean doResize,
            @JsonProperty("size") JsonNode size,
            @JsonProperty("resample") Integer resample,
            @JsonProperty("do_rescale") Boolean doRescale,
            @JsonProperty("rescale_factor") Double rescaleFactor,
            @JsonProperty("do_normalize") Boolean doNormalize,
            @JsonProperty("image_mean") JsonNode imageMean,
            @JsonProperty("image_std") JsonNode imageStd,
            @JsonProperty("min_pixels") Long minPixels,
            @JsonProperty("max_pixels") Long maxPixels,
            @JsonProperty("patch_size") Integer patchSize,
            @JsonProperty("temporal_patch_size") Integer temporalPatchSize,
            @JsonProperty("merge_size") Integer mergeSize) {
        if (size != null && !size.isNull()
                && (!size.isObject() || !size.has("shortest_edge") || !size.has("longest_edge"))) {
            throw new BadConfigValue("size", "must contain 'shortest_edge' and 'longest_edge' keys, found "
                    + ConfigJson.describe(size));
        }
        long min = minPixels == null ? DEFAULT_MIN_PIXELS : minPixels;
        long max = maxPixels == null ? DEFAULT_MAX_PIXELS : maxPixels;
        if (min < 0) {
            throw new BadConfigValue("min_pixels", "expected a non-negative integer, found " + min);
        }
        if (max <= 0) {
            throw new BadConfigValue("max_pixels", "expected a positive integer, found " + max);
        }
        return new Qwen2VLProcessorConfig(
                doResize == null || doResize,
                ProcessorConfigs.resample(resample, ResampleFilter.BICUBIC),
                PixelScaling.fromJson(doRescale, rescaleFactor, doNormalize, imageMean, imageStd,
                        PixelScaling.CLIP_MEAN, PixelScaling.CLIP_STD),
                min, max,
                ProcessorConfigs.positive("patch_size", patchSize, 14),
                ProcessorConfigs.positive("temporal_patch_size", temporalPatchSize, 2),
                ProcessorConfigs.positive("merge_size", mergeSize, 2));
    }

    /** {@code smart_resize}'s factor: one merged token covers factor × factor pixels. */
    public int factor() { return patchSize * mergeSize; }
}
