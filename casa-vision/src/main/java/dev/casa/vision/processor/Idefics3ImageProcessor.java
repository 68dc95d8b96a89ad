package dev.casa.vision.processor;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.vision.image.PillowResize;
import dev.casa.vision.image.ResampleFilter;
import dev.casa.vision.image.RgbImage;

/**
 * transformers v4.51.3's slow {@code Idefics3ImageProcessor} (also SmolVLM's) for one image:
 * <ol>
 *   <li>resize so the longest side is {@code size.longest_edge} (may upscale);</li>
 *   <li>with splitting: resize to multiples of the tile side {@code M = max_image_size.longest_edge},
 *       cut into M×M tiles row by row, and append the whole image resized to M×M (the global image);
 *       an image that ends up M×M is not split (rows = cols = 0, one entry);</li>
 *   <li>without splitting: the image resized to M×M only;</li>
 *   <li>rescale and normalize every entry.</li>
 * </ol>
 * All resizes are separate Pillow resizes, as in HF, with the config's {@code resample}, except the global
 * image of a split, which HF's {@code split_image} resizes with its default LANCZOS whatever the config
 * says. Rescale and normalize are per-pixel, so doing them while copying tiles out (HF does them after
 * splitting) gives the same numbers. Output [tiles, 3, M, M], float32.
 *
 * <p>Limit: at most {@code ceil(4096 / M)} tiles per side. HF's first resize never exceeds 4096
 * ({@link Idefics3Sizes#MAX_IMAGE_SIZE}), so this only refuses images HF would split beyond its own
 * maximum, i.e. larger than 4096 px with {@code do_resize} false.
 */
public final class Idefics3ImageProcessor implements ImageProcessor {
    private final Idefics3ProcessorConfig config;
    private final PixelTable table;
    private final ThreadPool pool;   // splits the rows of each resize; null: the calling thread

    public Idefics3ImageProcessor(Idefics3ProcessorConfig config) {
        this(config, null);
    }

    /** With the resizes (three LANCZOS passes over up to 2048×2048 pixels) split over {@code pool}'s threads. */
    public Idefics3ImageProcessor(Idefics3ProcessorConfig config, ThreadPool pool) {
        this.config = config;
        this.table = new PixelTable(config.scaling());
        this.pool = pool;
    }

    public Idefics3ProcessorConfig config() { return config; }

    /** The sizes one image goes through; {@code split} null when not splitting. */
    private record Plan(ImageSize resized, ImageSize split, ImageLayout.Tiles layout) {}

    private Plan plan(int width, int height) {
        int tile = config.maxImageSize();
        ImageSize resized = new ImageSize(height, width);
        if (config.doResize()) {
            resized = config.longestEdge() > 0
                    ? Idefics3Sizes.longestEdge(height, width, config.longestEdge())
                    : config.fixedSize();
        }
        checkBytes(width, height, resized);
        if (!config.doImageSplitting()) {
            return new Plan(resized, null, new ImageLayout.Tiles(0, 0, tile));
        }
        ImageSize split = Idefics3Sizes.visionEncoder(resized.height(), resized.width(), tile);
        checkBytes(width, height, split);
        int rows = 0;
        int cols = 0;
        if (split.height() > tile || split.width() > tile) {
            rows = ceilDiv(split.height(), tile);
            cols = ceilDiv(split.width(), tile);
            int maxPerSide = ceilDiv(Idefics3Sizes.MAX_IMAGE_SIZE, tile);
            if (rows > maxPerSide || cols > maxPerSide) {
                throw new ImageProcessingException("image " + width + "x" + height + " would be split into "
                        + rows + "x" + cols + " tiles of " + tile + " px, more than HF's maximum of "
                        + maxPerSide + " per side (4096 px); enable do_resize or use a smaller image");
            }
        }
        return new Plan(resized, split, new ImageLayout.Tiles(rows, cols, tile));
    }

    /** The tiling for an image of this size, without processing it (e.g. to count tokens). */
    public ImageLayout.Tiles layout(int width, int height) {
        return plan(width, height).layout();
    }

    @Override
    public ProcessedImage process(RgbImage image) {
        Plan plan = plan(image.width(), image.height());
        int tile = config.maxImageSize();
        int entries = plan.layout().numTiles();
        int entry = PixelScaling.CHANNELS * tile * tile;
        long total = Math.multiplyExact((long) entries, entry);
        if (total > ProcessedImage.MAX_VALUES) {
            throw new ImageProcessingException("image " + image.width() + "x" + image.height() + " needs " + total
                    + " values, more than one array holds");
        }
        float[] out = new float[(int) total];
        // HF always calls PIL's resize, which returns a copy when the size is unchanged.
        RgbImage resized = config.doResize() ? resize(image, plan.resized(), config.resample()) : image;
        RgbImage global;
        if (plan.split() == null) {
            global = resize(resized, new ImageSize(tile, tile), config.resample());
        } else {
            RgbImage split = resize(resized, plan.split(), config.resample());
            if (plan.layout().isSplit()) {
                writeTiles(split, plan.layout(), out);
                global = resize(split, new ImageSize(tile, tile), ResampleFilter.LANCZOS);
            } else {
                global = split; // already tile × tile
            }
        }
        table.writeChw(global.toRgbBytes(), tile, 0, 0, tile, tile, out, (entries - 1) * entry);
        return new ProcessedImage(out, new long[] {entries, PixelScaling.CHANNELS, tile, tile}, plan.layout());
    }

    /**
     * HF's {@code split_image} crops: {@code ceil(side / n)}-pixel steps clipped to the image. The split
     * size is a multiple of the tile side, so every crop is exactly tile × tile.
     */
    private void writeTiles(RgbImage split, ImageLayout.Tiles layout, float[] out) {
        int tile = layout.tileSize();
        int stepH = ceilDiv(split.height(), layout.rows());
        int stepW = ceilDiv(split.width(), layout.cols());
        if (stepH != tile || stepW != tile) {
            throw new IllegalStateException("split size " + split.width() + "x" + split.height()
                    + " is not a multiple of " + tile);
        }
        byte[] rgb = split.toRgbBytes();
        int entry = PixelScaling.CHANNELS * tile * tile;
        int o = 0;
        for (int r = 0; r < layout.rows(); r++) {
            for (int c = 0; c < layout.cols(); c++, o += entry) {
                table.writeChw(rgb, split.width(), c * stepW, r * stepH, tile, tile, out, o);
            }
        }
    }

    private RgbImage resize(RgbImage image, ImageSize size, ResampleFilter filter) {
        return PillowResize.resize(image, size.width(), size.height(), filter, pool);
    }

    /** Refuses an intermediate image that would not fit one byte array, before allocating it. */
    private static void checkBytes(int width, int height, ImageSize size) {
        if (3 * size.pixels() > ProcessedImage.MAX_VALUES) {
            throw new ImageProcessingException("image " + width + "x" + height + " would be resized to " + size
                    + ", too large");
        }
    }

    private static int ceilDiv(int a, int b) {
        // HF: math.ceil(a / b) on floats; exact for these magnitudes (< 2^31).
        return (int) Math.ceil((double) a / b);
    }
}
