package dev.casa.vision.processor;

/**
 * Qwen-VL's {@code smart_resize} (transformers v4.51.3, image_processing_qwen2_vl.py): both sides
 * multiples of {@code factor}, the pixel count within [min_pixels, max_pixels], the aspect ratio kept as
 * closely as possible. Every step uses the same double operations as the Python (whose {@code round}
 * rounds half to even, like {@link Math#rint}), so results agree exactly.
 */
public final class SmartResize {
    /** HF's limit on max(h, w) / min(h, w). */
    public static final double MAX_ASPECT_RATIO = 200;

    private SmartResize() {}

    /**
     * The resized (height, width).
     *
     * @throws ImageProcessingException where HF raises: a side shorter than {@code factor}, an aspect ratio
     *                                  over 200; and where HF would fail later in PIL: an empty result
     */
    public static ImageSize compute(int height, int width, int factor, long minPixels, long maxPixels) {
        if (factor <= 0 || maxPixels <= 0) {
            throw new IllegalArgumentException("factor and max_pixels must be positive");
        }
        if (height < factor || width < factor) {
            throw new ImageProcessingException("image " + width + "x" + height + " is too small: height:" + height
                    + " and width:" + width + " must be larger than factor:" + factor);
        }
        double ratio = (double) Math.max(height, width) / Math.min(height, width);
        if (ratio > MAX_ASPECT_RATIO) {
            throw new ImageProcessingException("image " + width + "x" + height
                    + ": absolute aspect ratio must be smaller than 200, got " + ratio);
        }
        long hBar = (long) Math.rint((double) height / factor) * factor;
        long wBar = (long) Math.rint((double) width / factor) * factor;
        if (hBar * wBar > maxPixels) {
            // h·w < 2^31 (an RgbImage's size limit), so the product and max_pixels are exact doubles and
            // the quotient is rounded once, like Python's int / int.
            double beta = Math.sqrt((double) ((long) height * width) / maxPixels);
            hBar = (long) Math.floor(height / beta / factor) * factor;
            wBar = (long) Math.floor(width / beta / factor) * factor;
        } else if (hBar * wBar < minPixels) {
            double beta = Math.sqrt(minPixels / (double) ((long) height * width));
            hBar = (long) Math.ceil(height * beta / factor) * factor;
            wBar = (long) Math.ceil(width * beta / factor) * factor;
        }
        if (hBar <= 0 || wBar <= 0) {
            // HF hands this to PIL, which rejects it ("height and width must be > 0").
            throw new ImageProcessingException("image " + width + "x" + height + " cannot fit max_pixels "
                    + maxPixels + ": smart_resize gives " + wBar + "x" + hBar);
        }
        if (hBar > Integer.MAX_VALUE || wBar > Integer.MAX_VALUE) {
            throw new ImageProcessingException("image " + width + "x" + height + ": smart_resize gives "
                    + wBar + "x" + hBar + ", too large");
        }
        return new ImageSize((int) hBar, (int) wBar);
    }

    /**
     * Whether {@link #compute} takes its upscaling branch (the rounded size is below min_pixels). Only
     * then can the result exceed max_pixels (when min_pixels is close to it), which HF accepts.
     */
    static boolean upscales(int height, int width, int factor, long minPixels, long maxPixels) {
        long hBar = (long) Math.rint((double) height / factor) * factor;
        long wBar = (long) Math.rint((double) width / factor) * factor;
        return hBar * wBar <= maxPixels && hBar * wBar < minPixels;
    }
}
