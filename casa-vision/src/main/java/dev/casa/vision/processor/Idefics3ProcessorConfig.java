package dev.casa.vision.processor;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.vision.image.ResampleFilter;
import java.nio.file.Path;

/**
 * {@code Idefics3ImageProcessor}'s settings (Idefics3; SmolVLM's {@code SmolVLMImageProcessor} is the
 * same code) as transformers v4.51.3 reads preprocessor_config.json: absent keys take its defaults,
 * unknown keys ({@code do_pad}, {@code video_sampling}, ...) are ignored. {@code do_pad} only matters for
 * batches: one image's tiles all have the same size.
 *
 * @param doResize         {@code do_resize} (default true)
 * @param longestEdge      {@code size.longest_edge} (default 1456); 0 when {@code size} gives
 *                         {@code height} and {@code width} instead (HF accepts both; longest_edge wins)
 * @param fixedSize        {@code size.height} × {@code size.width} when {@code longestEdge} is 0, else null
 * @param resample         {@code resample} (default 1, LANCZOS)
 * @param doImageSplitting {@code do_image_splitting} (default true)
 * @param maxImageSize     {@code max_image_size.longest_edge}, the tile side (default 364)
 * @param scaling          rescale (1/255) and normalize (mean 0.5, std 0.5)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Idefics3ProcessorConfig(boolean doResize, int longestEdge, ImageSize fixedSize,
                                      ResampleFilter resample, boolean doImageSplitting, int maxImageSize,
                                      PixelScaling scaling) {

    /** The settings of {@code file}. */
    public static Idefics3ProcessorConfig load(Path file) {
        return ConfigJson.bind(ConfigJson.read(file), Idefics3ProcessorConfig.class);
    }

    /** HF's defaults (a config file holding {@code {}}). */
    public static Idefics3ProcessorConfig defaults() {
        return fromJson(null, null, null, null, null, null, null, null, null, null);
    }

    /** A {@code {"longest_edge": ..., "height": ..., "width": ...}} object, each key optional. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record EdgeJson(Integer longestEdge, Integer height, Integer width) {
        @JsonCreator
        static EdgeJson of(@JsonProperty("longest_edge") Integer longestEdge,
                           @JsonProperty("height") Integer height,
                           @JsonProperty("width") Integer width) {
            ProcessorConfigs.positive("longest_edge", longestEdge, 1);
            ProcessorConfigs.positive("height", height, 1);
            ProcessorConfigs.positive("width", width, 1);
            return new EdgeJson(longestEdge, height, width);
        }
    }

    @JsonCreator
    static Idefics3ProcessorConfig fromJson(
            @JsonProperty("do_resize") Boolean doResize,
            @JsonProperty("size") EdgeJson size,
            @JsonProperty("resample") Integer resample,
            @JsonProperty("do_image_splitting") Boolean doImageSplitting,
            @JsonProperty("max_image_size") EdgeJson maxImageSize,
            @JsonProperty("do_rescale") Boolean doRescale,
            @JsonProperty("rescale_factor") Double rescaleFactor,
            @JsonProperty("do_normalize") Boolean doNormalize,
            @JsonProperty("image_mean") JsonNode imageMean,
            @JsonProperty("image_std") JsonNode imageStd) {
        int longestEdge = 4 * 364;
        ImageSize fixed = null;
        if (size != null) {
            if (size.longestEdge() != null) {
                longestEdge = size.longestEdge();
            } else if (size.height() != null && size.width() != null) {
                longestEdge = 0;
                fixed = new ImageSize(size.height(), size.width());
            } else {
                throw new BadConfigValue("size", "expected 'longest_edge' or 'height' and 'width'");
            }
        }
        int tile = 364;
        if (maxImageSize != null) {
            if (maxImageSize.longestEdge() == null) {
                throw new BadConfigValue("max_image_size.longest_edge", "required");
            }
            tile = maxImageSize.longestEdge();
        }
        return new Idefics3ProcessorConfig(
                doResize == null || doResize, longestEdge, fixed,
                ProcessorConfigs.resample(resample, ResampleFilter.LANCZOS),
                doImageSplitting == null || doImageSplitting, tile,
                PixelScaling.fromJson(doRescale, rescaleFactor, doNormalize, imageMean, imageStd,
                        PixelScaling.HALF, PixelScaling.HALF));
    }
}
