package dev.casa.vision.idefics3;

import dev.casa.vision.Connector;
import dev.casa.vision.VisionFeatures;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.Linear;
import dev.casa.core.nn.TensorBinder;

/**
 * HF v4.51.3 {@code Idefics3Connector} / {@code SmolVLMConnector}: {@code pixel_shuffle} with {@code scale_factor}
 * s, then {@code modality_projection.proj} (a Linear without bias, {@code [text hidden, D·s²]}).
 *
 * <p>{@code pixel_shuffle} is a chain of views and permutes over one image's {@code g × g} patch features
 * ({@code [g², D]}, g = √seq); unrolled, output token {@code (k, j)} of the {@code g/s × g/s} grid (row-major)
 * is the {@code s × s} block of patches at block row k, block column j, concatenated row by row:
 * features {@code [(t·s + i)·D, (t·s + i + 1)·D)} are patch {@code (k·s + t, j·s + i)}.
 */
public final class PixelShuffleConnector implements Connector {
    private final Linear projection;
    private final int scaleFactor;
    private final int visionHidden;
    private final ThreadPool pool;

    private PixelShuffleConnector(Linear projection, int scaleFactor, int visionHidden, ThreadPool pool) {
        this.projection = projection;
        this.scaleFactor = scaleFactor;
        this.visionHidden = visionHidden;
        this.pool = pool;
    }

    /** Binds {@code prefix + "modality_projection.proj.weight"} = {@code [textHidden, visionHidden·s²]}. */
    public static PixelShuffleConnector bind(TensorBinder binder, String prefix, int visionHidden, int scaleFactor, int textHidden,
                                             ThreadPool pool) {
        if (scaleFactor < 1) throw new IllegalArgumentException("scale_factor must be >= 1, got " + scaleFactor);
        int in = Math.multiplyExact(visionHidden, scaleFactor * scaleFactor);
        return new PixelShuffleConnector(binder.linear(prefix + "modality_projection.proj", textHidden, in, false),
                scaleFactor, visionHidden, pool);
    }

    public int scaleFactor() { return scaleFactor; }

    /** Output width (the text hidden size). */
    @Override
    public int outputWidth() { return projection.out(); }

    /** Each image's {@code g × g} features shuffled and projected to {@code (g/s)²} embeddings. */
    @Override
    public VisionFeatures connect(VisionFeatures features) {
        int g = features.gridRows();
        if (features.gridCols() != g || features.width() != visionHidden) {
            throw new IllegalArgumentException("pixel shuffle takes square grids of width " + visionHidden + ", got "
                    + features.gridRows() + "x" + features.gridCols() + " of width " + features.width());
        }
        int per = tokens(g), images = features.images();
        float[] shuffled = new float[features.values().length];
        float[] out = new float[Math.multiplyExact(images * per, outputWidth())];
        forward(pool, features.values(), images, g, shuffled, out, 0);
        return new VisionFeatures(out, images, per, outputWidth(), g / scaleFactor, g / scaleFactor);
    }

    /** Output tokens of one image of {@code g × g} patches: {@code (g/s)²}. */
    public int tokens(int grid) {
        checkGrid(grid);
        int side = grid / scaleFactor;
        return side * side;
    }

    /** An image's patch grid side must be a multiple of s, as HF's views require. */
    public void checkGrid(int grid) {
        if (grid < scaleFactor || grid % scaleFactor != 0) {
            throw new IllegalArgumentException("a " + grid + "x" + grid + " patch grid cannot be pixel-shuffled by scale_factor "
                    + scaleFactor + " (the side must be a multiple of it)");
        }
    }

    /**
     * Features {@code [images, g², D]} → embeddings {@code [images, (g/s)², out]} written to {@code out[outOffset]}.
     * {@code shuffled} holds {@code images · g² · D} floats of scratch.
     */
    public void forward(ThreadPool pool, float[] features, int images, int grid, float[] shuffled, float[] out, int outOffset) {
        int rows = images * tokens(grid);
        pool.parallelFor(images, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int per = grid * grid * visionHidden;
                pixelShuffle(features, b * per, grid, visionHidden, scaleFactor, shuffled, b * per);
            }
        });
        projection.forward(pool, shuffled, 0, rows, out, outOffset);
    }

    /** HF's {@code pixel_shuffle} of one image's {@code [g², d]} features into {@code [(g/s)², d·s²]}. */
    public static void pixelShuffle(float[] in, int inOffset, int grid, int d, int s, float[] out, int outOffset) {
        int blocks = grid / s;
        int o = outOffset;
        for (int k = 0; k < blocks; k++) {
            for (int j = 0; j < blocks; j++) {
                for (int t = 0; t < s; t++) {
                    // patches (k·s + t, j·s .. j·s + s - 1) are contiguous rows of the input
                    int src = inOffset + ((k * s + t) * grid + j * s) * d;
                    System.arraycopy(in, src, out, o, s * d);
                    o += s * d;
                }
            }
        }
    }
}
