package dev.casa.vision.image;

import java.util.List;

/**
 * model-format.md §5: RGB 8-bit → Pillow resize to (height, width) → float32 → ×rescale_factor →
 * (x − mean) / std per channel → CHW.
 *
 * <p>The arithmetic follows HF's numpy code so results are bit-identical: {@code rescale} multiplies in
 * float64 and rounds to float32, {@code normalize} subtracts and divides in float32 with the mean and
 * std rounded to float32. As the input is 8-bit, each channel's 256 possible outputs are tabulated once.
 */
public final class ImagePreprocessor {
    public static final int CHANNELS = 3;

    private final PreprocessorConfig config;
    /** table[c * 256 + v]: the output for value v in channel c. */
    private final float[] table = new float[CHANNELS * 256];

    public ImagePreprocessor(PreprocessorConfig config) {
        this.config = config;
        double[] mean = config.imageMean();
        double[] std = config.imageStd();
        for (int c = 0; c < CHANNELS; c++) {
            float meanF = (float) mean[c];
            float stdF = (float) std[c];
            for (int v = 0; v < 256; v++) {
                float x = config.doRescale() ? (float) (v * config.rescaleFactor()) : (float) v;
                if (config.doNormalize()) {
                    x = (x - meanF) / stdF;
                }
                table[c * 256 + v] = x;
            }
        }
    }

    public PreprocessorConfig config() { return config; }

    /** The resized image (unchanged when {@code do_resize} is false). */
    public RgbImage resize(RgbImage image) {
        return config.doResize()
                ? PillowResize.resize(image, config.width(), config.height(), config.resample())
                : image;
    }

    /** Pixel values [3, H, W] in C order. */
    public float[] preprocess(RgbImage image) {
        RgbImage resized = resize(image);
        float[] out = new float[CHANNELS * resized.width() * resized.height()];
        writeChw(resized, out, 0);
        return out;
    }

    /**
     * Pixel values of several images, [N, 3, H, W] in C order. Needs {@code do_resize} so that all
     * images have the same size.
     */
    public float[] preprocessBatch(List<RgbImage> images) {
        if (!config.doResize()) {
            throw new IllegalStateException("a batch needs do_resize = true (images of different sizes)");
        }
        int plane = CHANNELS * config.height() * config.width();
        float[] out = new float[Math.multiplyExact(plane, images.size())];
        for (int i = 0; i < images.size(); i++) {
            writeChw(resize(images.get(i)), out, i * plane);
        }
        return out;
    }

    private void writeChw(RgbImage image, float[] out, int offset) {
        byte[] rgb = image.data();
        int pixels = image.width() * image.height();
        for (int c = 0; c < CHANNELS; c++) {
            int base = offset + c * pixels;
            int t = c * 256;
            for (int i = 0, p = c; i < pixels; i++, p += 3) {
                out[base + i] = table[t + (rgb[p] & 0xff)];
            }
        }
    }
}
