package dev.casa.vision.image;

import dev.casa.core.kernels.ThreadPool;

/**
 * Resizes 8-bit RGB images with the same arithmetic as Pillow's {@code Image.resize} (Pillow 9.4,
 * {@code reducing_gap=None}), so results are bit-identical.
 *
 * <p>Convolution filters (Resample.c): a horizontal pass, then a vertical pass; a pass is skipped
 * when its dimension is unchanged, and the horizontal pass only computes the source rows the vertical
 * pass reads. Each output sample is {@code clip8((2^21 + Σ sample·weight) >> 22)} with 22-bit
 * fixed-point weights. NEAREST takes Pillow's affine-scale path (Geometry.c): source coordinates
 * accumulate {@code (in/out)} in double from {@code 0.5·(in/out)} and are truncated.
 *
 * <p>Given a thread pool, each pass splits its output rows between the threads (rows are independent,
 * so the bytes are the same); Pillow's resize is single-threaded.
 */
public final class PillowResize {
    private static final int HALF = 1 << (ResampleCoefficients.PRECISION_BITS - 1);

    private PillowResize() {}

    /** Multiply-adds below which a pass stays on the calling thread (waking a worker costs more). */
    private static final long PARALLEL_WORK = 1 << 20;

    public static RgbImage resize(RgbImage src, int width, int height, ResampleFilter filter) {
        return resize(src, width, height, filter, null);
    }

    /** {@link #resize(RgbImage, int, int, ResampleFilter)} with the rows of each pass split over {@code pool} (null: this thread). */
    public static RgbImage resize(RgbImage src, int width, int height, ResampleFilter filter, ThreadPool pool) {
        return resize(src, width, height, filter, pool, PARALLEL_WORK);
    }

    /** As above, splitting a pass once it has {@code parallelWork} multiply-adds (tests force 0). */
    static RgbImage resize(RgbImage src, int width, int height, ResampleFilter filter, ThreadPool pool, long parallelWork) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
        }
        if (width == src.width() && height == src.height()) {
            return src; // Pillow returns an unchanged copy; RgbImage is immutable
        }
        if (filter == ResampleFilter.NEAREST) {
            return nearest(src, width, height);
        }
        boolean horizontal = width != src.width();
        boolean vertical = height != src.height();
        ResampleCoefficients rows = ResampleCoefficients.compute(src.height(), height, filter);

        byte[] pixels = src.data();
        int rowOffset = 0;
        int curWidth = src.width();
        if (horizontal) {
            ResampleCoefficients cols = ResampleCoefficients.compute(src.width(), width, filter);
            int firstRow = rows.firstUsed();
            int endRow = rows.endUsed();
            pixels = horizontalPass(pixels, src.width(), firstRow, endRow, cols, pool, parallelWork);
            rowOffset = firstRow;
            curWidth = width;
            if (!vertical) {
                return new RgbImage(width, height, pixels);
            }
        }
        return new RgbImage(width, height, verticalPass(pixels, curWidth, rowOffset, rows, pool, parallelWork));
    }

    /** Rows [firstRow, endRow) of the source, each resampled to cols.outSize pixels. */
    private static byte[] horizontalPass(byte[] src, int srcWidth, int firstRow, int endRow,
                                         ResampleCoefficients cols, ThreadPool pool, long parallelWork) {
        int outWidth = cols.outSize;
        byte[] out = new byte[3 * outWidth * (endRow - firstRow)];
        int n = endRow - firstRow;
        if (parallel(pool, (long) n * outWidth * cols.kernelSize, parallelWork)) {
            pool.parallelFor(n, (a, b) -> horizontalRows(src, srcWidth, firstRow, firstRow + a, firstRow + b, cols, out));
        } else {
            horizontalRows(src, srcWidth, firstRow, firstRow, endRow, cols, out);
        }
        return out;
    }

    /** Source rows [y0, y1) into their rows of {@code out}, whose first row is source row {@code firstRow}. */
    private static void horizontalRows(byte[] src, int srcWidth, int firstRow, int y0, int y1,
                                       ResampleCoefficients cols, byte[] out) {
        int outWidth = cols.outSize;
        int ks = cols.kernelSize;
        int[] w = cols.weights;
        int o = 3 * outWidth * (y0 - firstRow);
        for (int y = y0; y < y1; y++) {
            int rowStart = 3 * y * srcWidth;
            for (int xx = 0; xx < outWidth; xx++) {
                int p = rowStart + 3 * cols.first[xx];
                int n = cols.count[xx];
                int k = xx * ks;
                int r = HALF, g = HALF, b = HALF;
                for (int x = 0; x < n; x++, p += 3) {
                    int weight = w[k + x];
                    r += (src[p] & 0xff) * weight;
                    g += (src[p + 1] & 0xff) * weight;
                    b += (src[p + 2] & 0xff) * weight;
                }
                out[o++] = clip8(r);
                out[o++] = clip8(g);
                out[o++] = clip8(b);
            }
        }
    }

    /** Resamples columns; source row i of the coefficients is row (i - rowOffset) of src. */
    private static byte[] verticalPass(byte[] src, int width, int rowOffset, ResampleCoefficients rows, ThreadPool pool,
                                       long parallelWork) {
        byte[] out = new byte[3 * width * rows.outSize];
        if (parallel(pool, (long) rows.outSize * 3 * width * rows.kernelSize, parallelWork)) {
            pool.parallelFor(rows.outSize, (a, b) -> verticalRows(src, width, rowOffset, rows, a, b, out));
        } else {
            verticalRows(src, width, rowOffset, rows, 0, rows.outSize, out);
        }
        return out;
    }

    /** Output rows [yy0, yy1). */
    private static void verticalRows(byte[] src, int width, int rowOffset, ResampleCoefficients rows, int yy0, int yy1,
                                     byte[] out) {
        int rowBytes = 3 * width;
        int ks = rows.kernelSize;
        int[] w = rows.weights;
        int[] acc = new int[rowBytes];
        for (int yy = yy0; yy < yy1; yy++) {
            java.util.Arrays.fill(acc, HALF);
            int k = yy * ks;
            int firstRow = rows.first[yy] - rowOffset;
            for (int y = 0; y < rows.count[yy]; y++) {
                int weight = w[k + y];
                int p = (firstRow + y) * rowBytes;
                for (int i = 0; i < rowBytes; i++) {
                    acc[i] += (src[p + i] & 0xff) * weight;
                }
            }
            int o = yy * rowBytes;
            for (int i = 0; i < rowBytes; i++) {
                out[o + i] = clip8(acc[i]);
            }
        }
    }

    private static boolean parallel(ThreadPool pool, long work, long threshold) {
        return pool != null && pool.threads() > 1 && work >= threshold;
    }

    private static byte clip8(int acc) {
        int v = acc >> ResampleCoefficients.PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    private static RgbImage nearest(RgbImage src, int width, int height) {
        double xStep = (double) (float) src.width() / width;
        double yStep = (double) (float) src.height() / height;
        int[] srcX = new int[width];
        double xo = 0.0 + xStep * 0.5;
        for (int x = 0; x < width; x++, xo += xStep) {
            srcX[x] = coord(xo, src.width());
        }
        byte[] in = src.data();
        byte[] out = new byte[3 * width * height];
        double yo = 0.0 + yStep * 0.5;
        for (int y = 0; y < height; y++, yo += yStep) {
            int sy = coord(yo, src.height());
            if (sy < 0) {
                continue; // Pillow leaves pixels that map outside the source black
            }
            int o = 3 * y * width;
            int row = 3 * sy * src.width();
            for (int x = 0; x < width; x++, o += 3) {
                if (srcX[x] >= 0) {
                    int p = row + 3 * srcX[x];
                    out[o] = in[p];
                    out[o + 1] = in[p + 1];
                    out[o + 2] = in[p + 2];
                }
            }
        }
        return new RgbImage(width, height, out);
    }

    /** Pillow's COORD: truncation, -1 for negatives; -1 too when past the source. */
    private static int coord(double v, int size) {
        int c = v < 0.0 ? -1 : (int) v;
        return c < size ? c : -1;
    }
}
