package dev.casa.vision.processor;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * The per-pixel arithmetic after resizing: {@code do_rescale}/{@code rescale_factor} then
 * {@code do_normalize}/{@code image_mean}/{@code image_std}, shared by the HF processors.
 *
 * @param imageMean one value per RGB channel
 * @param imageStd  one value per RGB channel, none zero
 */
public record PixelScaling(boolean doRescale, double rescaleFactor, boolean doNormalize,
                           double[] imageMean, double[] imageStd) {
    public static final int CHANNELS = 3;
    /** transformers' OPENAI_CLIP_MEAN / OPENAI_CLIP_STD (Qwen-VL's defaults). */
    static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};
    /** transformers' IMAGENET_STANDARD_MEAN / _STD (Idefics3's defaults). */
    static final double[] HALF = {0.5, 0.5, 0.5};

    public PixelScaling {
        if (imageMean.length != CHANNELS || imageStd.length != CHANNELS) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values");
        }
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    /**
     * From the JSON keys, absent (null) ones taking the given defaults; HF's default rescale factor is
     * 1/255 for every processor. Keys are validated here so errors name them.
     */
    static PixelScaling fromJson(Boolean doRescale, Double rescaleFactor, Boolean doNormalize, JsonNode imageMean,
                                 JsonNode imageStd, double[] defaultMean, double[] defaultStd) {
        double factor = rescaleFactor == null ? 1 / 255.0 : rescaleFactor;
        if (!Double.isFinite(factor)) {
            throw new BadConfigValue("rescale_factor", "expected a finite number, found " + factor);
        }
        double[] std = perChannel("image_std", imageStd, defaultStd);
        for (double s : std) {
            if (s == 0.0) {
                throw new BadConfigValue("image_std", "expected non-zero values, found " + Arrays.toString(std));
            }
        }
        return new PixelScaling(doRescale == null || doRescale, factor, doNormalize == null || doNormalize,
                perChannel("image_mean", imageMean, defaultMean), std);
    }

    /** HF accepts one number for all channels or a list with one per channel. */
    private static double[] perChannel(String key, JsonNode n, double[] fallback) {
        if (n == null || n.isNull()) {
            return fallback.clone();
        }
        if (n.isNumber()) {
            return new double[] {n.doubleValue(), n.doubleValue(), n.doubleValue()};
        }
        if (n.isArray() && n.size() == CHANNELS) {
            double[] v = new double[CHANNELS];
            for (int i = 0; i < CHANNELS; i++) {
                if (!n.get(i).isNumber() || !Double.isFinite(n.get(i).doubleValue())) {
                    break;
                }
                v[i] = n.get(i).doubleValue();
                if (i == CHANNELS - 1) {
                    return v;
                }
            }
        }
        throw new BadConfigValue(key, "expected a number or a list of 3 numbers, found " + ConfigJson.describe(n));
    }

    @Override
    public double[] imageMean() { return imageMean.clone(); }

    @Override
    public double[] imageStd() { return imageStd.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof PixelScaling p && p.doRescale == doRescale
                && Double.compare(p.rescaleFactor, rescaleFactor) == 0 && p.doNormalize == doNormalize
                && Arrays.equals(p.imageMean, imageMean) && Arrays.equals(p.imageStd, imageStd);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {doRescale, rescaleFactor, doNormalize, Arrays.hashCode(imageMean),
                Arrays.hashCode(imageStd)});
    }

    @Override
    public String toString() {
        return "PixelScaling[rescale=" + doRescale + " " + rescaleFactor + ", normalize=" + doNormalize
                + " mean=" + Arrays.toString(imageMean) + " std=" + Arrays.toString(imageStd) + "]";
    }
}
