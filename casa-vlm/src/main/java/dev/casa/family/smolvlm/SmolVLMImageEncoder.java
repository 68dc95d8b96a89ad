package dev.casa.family.smolvlm;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.image.EncodedImage;
import dev.casa.image.ImageEncoder;
import dev.casa.vision.idefics3.PixelShuffleConnector;
import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.Idefics3ImageProcessor;
import dev.casa.vision.processor.ImageLayout;
import dev.casa.vision.processor.ImageProcessingException;
import dev.casa.vision.processor.ProcessedImage;
import dev.casa.vision.siglip.SiglipVisionTower;
import java.util.function.BiPredicate;

/**
 * Idefics3 / SmolVLM images, as HF v4.51.3's {@code get_image_features}: {@code Idefics3ImageProcessor} (tiles
 * row by row, then the global image), the SigLIP tower over the tiles ({@value #TILES_PER_PASS} per pass, to
 * bound activation memory), and the pixel-shuffle connector. An image of t tiles gives {@code t · image_seq_len}
 * embeddings, tile by tile, in the order of its {@code <image>} placeholders.
 */
final class SmolVLMImageEncoder implements ImageEncoder {
    /** Tiles stacked into one tower pass: 4 × 1,024 patches for SmolVLM (~130 MB of activations). */
    static final int TILES_PER_PASS = 4;

    private final Idefics3ImageProcessor processor;
    private final SiglipVisionTower tower;
    private final PixelShuffleConnector connector;
    private final ThreadPool pool;
    private final BiPredicate<Integer, Integer> tileGridAllowed;
    private final String tileLimit;

    /**
     * @param tileGridAllowed whether an image cut into (rows, cols) tiles can be written in a prompt (the
     *                        tokenizer has its {@code <row_r_col_c>} tokens); {@code tileLimit} says what the limit is
     */
    SmolVLMImageEncoder(Idefics3ImageProcessor processor, SiglipVisionTower tower, PixelShuffleConnector connector,
                        ThreadPool pool, BiPredicate<Integer, Integer> tileGridAllowed, String tileLimit) {
        this.processor = processor;
        this.tower = tower;
        this.connector = connector;
        this.pool = pool;
        this.tileGridAllowed = tileGridAllowed;
        this.tileLimit = tileLimit;
        connector.checkGrid(tileSide() / tower.config().patchSize());
    }

    int tileSide() { return processor.config().maxImageSize(); }

    /** Embeddings per tile ({@code image_seq_len}). */
    int tokensPerTile() { return connector.tokens(tileSide() / tower.config().patchSize()); }

    @Override
    public ProcessedImage process(RgbImage image) {
        ImageLayout.Tiles layout = processor.layout(image.width(), image.height());
        if (layout.isSplit() && !tileGridAllowed.test(layout.rows(), layout.cols())) {
            throw new ImageProcessingException("image " + image.width() + "x" + image.height() + " would be split into "
                    + layout.rows() + "x" + layout.cols() + " tiles, more than the model's tile markers allow (" + tileLimit + ")");
        }
        return processor.process(image);
    }

    @Override
    public EncodedImage encode(ProcessedImage pixels) {
        if (!(pixels.layout() instanceof ImageLayout.Tiles t)) {
            throw new IllegalArgumentException("an Idefics3/SmolVLM image needs tiles, got " + pixels.layout());
        }
        int side = t.tileSize(), tiles = t.numTiles();
        long[] shape = pixels.shape();
        if (side != tileSide() || shape.length != 4 || shape[0] != tiles || shape[1] != tower.config().numChannels()
                || shape[2] != side || shape[3] != side) {
            throw new IllegalArgumentException("pixels of shape " + java.util.Arrays.toString(shape) + " are not " + tiles
                    + " tiles of [" + tower.config().numChannels() + ", " + tileSide() + ", " + tileSide() + "]");
        }
        int grid = side / tower.config().patchSize();
        int perTile = tokensPerTile(), width = connector.outputWidth();
        int per = tower.pixels(side);
        float[] out = new float[Math.multiplyExact(tiles * perTile, width)];
        int chunk = Math.min(TILES_PER_PASS, tiles);
        float[] features = new float[Math.multiplyExact(chunk * tower.tokens(side), tower.hiddenSize())];
        float[] shuffled = new float[features.length];
        for (int start = 0; start < tiles; start += chunk) {
            int count = Math.min(chunk, tiles - start);
            tower.forward(pixels.pixels(), start * per, count, side, features, 0);
            connector.forward(pool, features, count, grid, shuffled, out, start * perTile * width);
        }
        return new EncodedImage(out, tiles * perTile, width, 0, 0, t.rows(), t.cols());
    }

    @Override
    public int embeddingSize() { return connector.outputWidth(); }

    @Override
    public String describe() {
        var c = tower.config();
        var p = processor.config();
        return String.format("SigLIP (Idefics3), %d layers, width %d, patch %d; tiles of %d px (longest edge %d, splitting %s),"
                        + " pixel shuffle %d -> %d tokens per tile, projected to %d",
                c.numHiddenLayers(), c.hiddenSize(), c.patchSize(), tileSide(), p.longestEdge(),
                p.doImageSplitting() ? "on" : "off", connector.scaleFactor(), tokensPerTile(), connector.outputWidth());
    }
}
