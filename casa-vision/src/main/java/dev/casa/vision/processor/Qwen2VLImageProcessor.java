package dev.casa.vision.processor;

import dev.casa.vision.image.PillowResize;
import dev.casa.vision.image.RgbImage;

/**
 * transformers v4.51.3's slow {@code Qwen2VLImageProcessor} for one image: {@code smart_resize}, a Pillow
 * resize (BICUBIC by default), rescale and normalize, then the frame repeated to
 * {@code temporal_patch_size} and cut into patches in HF's order.
 *
 * <p>Output [grid_t·grid_h·grid_w, C·T·P·P] (grid_t = 1 for an image): rows walk the merge groups
 * row-major and, inside each, its {@code merge × merge} patches row-major, so every group's rows are
 * adjacent (HF's reshape to (t, T, C, h/m, m, P, w/m, m, P) and transpose to (t, h/m, w/m, m, m, C, T,
 * P, P)); each row holds channel, then frame, then the patch's P×P pixels row-major.
 */
public final class Qwen2VLImageProcessor implements ImageProcessor {
    private final Qwen2VLProcessorConfig config;
    private final PixelTable table;

    public Qwen2VLImageProcessor(Qwen2VLProcessorConfig config) {
        this.config = config;
        this.table = new PixelTable(config.scaling());
    }

    public Qwen2VLProcessorConfig config() { return config; }

    /** The size the image is resized to (its own size when {@code do_resize} is false). */
    public ImageSize resizedSize(int width, int height) {
        if (!config.doResize()) {
            int p = config.patchSize() * config.mergeSize();
            if (height % p != 0 || width % p != 0) {
                // HF's reshape fails here; say why instead.
                throw new ImageProcessingException("image " + width + "x" + height + ": with do_resize false both"
                        + " sides must be multiples of patch_size x merge_size = " + p);
            }
            return new ImageSize(height, width);
        }
        return SmartResize.compute(height, width, config.factor(), config.minPixels(), config.maxPixels());
    }

    /** The patch grid for an image of this size, without processing it (e.g. to count tokens). */
    public ImageLayout.PatchGrid layout(int width, int height) {
        ImageSize s = resizedSize(width, height);
        return new ImageLayout.PatchGrid(1, s.height() / config.patchSize(), s.width() / config.patchSize(),
                config.mergeSize());
    }

    @Override
    public ProcessedImage process(RgbImage image) {
        ImageSize size = resizedSize(image.width(), image.height());
        checkCap(image, size);
        ImageLayout.PatchGrid grid = new ImageLayout.PatchGrid(1, size.height() / config.patchSize(),
                size.width() / config.patchSize(), config.mergeSize());
        int p = config.patchSize();
        int frames = config.temporalPatchSize();
        int rowLength = PixelScaling.CHANNELS * frames * p * p;
        int rows = grid.h() * grid.w();
        long total = Math.multiplyExact((long) rows, rowLength);
        if (total > ProcessedImage.MAX_VALUES) {
            throw new ImageProcessingException("image " + image.width() + "x" + image.height() + " resized to "
                    + size + " needs " + total + " values, more than one array holds");
        }
        RgbImage resized = config.doResize()
                ? PillowResize.resize(image, size.width(), size.height(), config.resample())
                : image;
        float[] out = new float[(int) total];
        flatten(resized.toRgbBytes(), size.width(), grid, out);
        return new ProcessedImage(out, new long[] {rows, rowLength}, grid);
    }

    /**
     * smart_resize keeps the result within max_pixels, except when it upscales to reach min_pixels (HF
     * accepts that result even above max_pixels). Refuse anything else before allocating.
     */
    private void checkCap(RgbImage image, ImageSize size) {
        if (config.doResize() && size.pixels() > config.maxPixels()
                && !SmartResize.upscales(image.height(), image.width(), config.factor(), config.minPixels(),
                        config.maxPixels())) {
            throw new ImageProcessingException("image " + image.width() + "x" + image.height() + " resized to "
                    + size + " exceeds max_pixels " + config.maxPixels());
        }
    }

    /** Writes the patches of an interleaved RGB image {@code width} pixels wide in HF's order. */
    private void flatten(byte[] rgb, int width, ImageLayout.PatchGrid grid, float[] out) {
        int p = config.patchSize();
        int m = grid.mergeSize();
        int plane = p * p;
        int frames = config.temporalPatchSize();
        int o = 0;
        for (int gy = 0; gy < grid.mergedRows(); gy++) {
            for (int gx = 0; gx < grid.mergedCols(); gx++) {
                for (int my = 0; my < m; my++) {
                    for (int mx = 0; mx < m; mx++) {
                        int y0 = (gy * m + my) * p;
                        int x0 = (gx * m + mx) * p;
                        for (int c = 0; c < PixelScaling.CHANNELS; c++) {
                            table.writePlane(rgb, width, x0, y0, p, p, c, out, o);
                            // An image is one frame, repeated to fill the temporal patch.
                            for (int f = 1; f < frames; f++) {
                                System.arraycopy(out, o, out, o + f * plane, plane);
                            }
                            o += frames * plane;
                        }
                    }
                }
            }
        }
    }
}
