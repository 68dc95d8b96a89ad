package dev.casa.vision.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The image-preprocessing settings of a model (HF {@code preprocessor_config.json}, SiglipImageProcessor).
 * Absent keys take SiglipImageProcessor's defaults: resize to 224x224 bilinear, rescale by 1/255,
 * normalise with mean 0.5 and std 0.5. {@code do_convert_rgb} is ignored: images are always RGB.
 *
 * @param doResize      {@code do_resize}
 * @param height        {@code size.height}
 * @param width         {@code size.width}
 * @param resample      {@code resample} (Pillow filter code)
 * @param doRescale     {@code do_rescale}
 * @param rescaleFactor {@code rescale_factor}
 * @param doNormalize   {@code do_normalize}
 * @param imageMean     {@code image_mean}, one per channel
 * @param imageStd      {@code image_std}, one per channel
 */
public record PreprocessorConfig(boolean doResize, int height, int width, ResampleFilter resample,
                                 boolean doRescale, double rescaleFactor, boolean doNormalize,
                                 double[] imageMean, double[] imageStd) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public PreprocessorConfig {
        if (doResize && (height <= 0 || width <= 0)) {
            throw new IllegalArgumentException("size must be positive, got height " + height + ", width " + width);
        }
        if (imageMean.length != 3 || imageStd.length != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values (RGB), got "
                    + imageMean.length + " and " + imageStd.length);
        }
        for (double s : imageStd) {
            if (!(s != 0.0) || Double.isNaN(s)) {
                throw new IllegalArgumentException("image_std must be non-zero, got " + Arrays.toString(imageStd));
            }
        }
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    /** SiglipImageProcessor's defaults. */
    public static PreprocessorConfig siglipDefaults() {
        return new PreprocessorConfig(true, 224, 224, ResampleFilter.BILINEAR, true, 1 / 255.0, true,
                new double[] {0.5, 0.5, 0.5}, new double[] {0.5, 0.5, 0.5});
    }

    public static PreprocessorConfig load(Path file) {
        String text;
        try {
            text = dev.casa.core.io.BoundedFiles.readString(file, 1L << 20, "preprocessor config");
        } catch (IOException e) {
            if (e.getCause() instanceof NoSuchFileException) throw new IllegalArgumentException(file + ": no such file");
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try {
            return fromJson(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static PreprocessorConfig fromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
        }
        return fromJson(root);
    }

    public static PreprocessorConfig fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("preprocessor config must be a JSON object");
        }
        PreprocessorConfig d = siglipDefaults();
        int height = d.height;
        int width = d.width;
        JsonNode size = root.get("size");
        if (size != null && !size.isNull()) {
            if (!size.isObject() || !size.has("height") || !size.has("width")) {
                throw new IllegalArgumentException("key 'size' must be {\"height\": H, \"width\": W}, got " + size);
            }
            height = intValue(size, "height");
            width = intValue(size, "width");
        }
        ResampleFilter resample = root.hasNonNull("resample")
                ? ResampleFilter.fromPillowCode(intValue(root, "resample")) : d.resample;
        return new PreprocessorConfig(
                bool(root, "do_resize", d.doResize), height, width, resample,
                bool(root, "do_rescale", d.doRescale), number(root, "rescale_factor", d.rescaleFactor),
                bool(root, "do_normalize", d.doNormalize),
                perChannel(root, "image_mean", d.imageMean), perChannel(root, "image_std", d.imageStd));
    }

    private static int intValue(JsonNode parent, String key) {
        JsonNode n = parent.get(key);
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new IllegalArgumentException("key '" + key + "' must be an integer, got " + n);
        }
        return n.intValue();
    }

    private static boolean bool(JsonNode root, String key, boolean fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new IllegalArgumentException("key '" + key + "' must be true or false, got " + n);
        }
        return n.booleanValue();
    }

    private static double number(JsonNode root, String key, double fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException("key '" + key + "' must be a number, got " + n);
        }
        return n.doubleValue();
    }

    /** A list of 3 numbers, or one number for all channels (HF accepts both). */
    private static double[] perChannel(JsonNode root, String key, double[] fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (n.isNumber()) {
            return new double[] {n.doubleValue(), n.doubleValue(), n.doubleValue()};
        }
        if (!n.isArray() || n.size() != 3) {
            throw new IllegalArgumentException("key '" + key + "' must be 3 numbers, got " + n);
        }
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            if (!n.get(i).isNumber()) {
                throw new IllegalArgumentException("key '" + key + "' must be 3 numbers, got " + n);
            }
            v[i] = n.get(i).doubleValue();
        }
        return v;
    }

    @Override
    public double[] imageMean() { return imageMean.clone(); }

    @Override
    public double[] imageStd() { return imageStd.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreprocessorConfig c && c.doResize == doResize && c.height == height
                && c.width == width && c.resample == resample && c.doRescale == doRescale
                && Double.compare(c.rescaleFactor, rescaleFactor) == 0 && c.doNormalize == doNormalize
                && Arrays.equals(c.imageMean, imageMean) && Arrays.equals(c.imageStd, imageStd);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {doResize, height, width, resample, doRescale, rescaleFactor,
                doNormalize, Arrays.hashCode(imageMean), Arrays.hashCode(imageStd)});
    }

    @Override
    public String toString() {
        return "PreprocessorConfig[resize=" + doResize + " " + height + "x" + width + " " + resample
                + ", rescale=" + doRescale + " " + rescaleFactor + ", normalize=" + doNormalize
                + " mean=" + Arrays.toString(imageMean) + " std=" + Arrays.toString(imageStd) + "]";
    }
}
