package dev.casa.vision.processor;

/**
 * The value of every 8-bit sample after HF's rescale and normalize, tabulated once per processor. The
 * arithmetic is numpy's: {@code rescale} multiplies in float64 and rounds to float32, {@code normalize}
 * subtracts and divides in float32 with mean and std rounded to float32 (without rescale, the uint8
 * value is first cast to float32). As the input has 256 values per channel, the table is exact.
 */
final class PixelTable {
    private final float[] table = new float[PixelScaling.CHANNELS * 256];

    PixelTable(PixelScaling s) {
        double[] mean = s.imageMean();
        double[] std = s.imageStd();
        for (int c = 0; c < PixelScaling.CHANNELS; c++) {
            float meanF = (float) mean[c];
            float stdF = (float) std[c];
            for (int v = 0; v < 256; v++) {
                float x = s.doRescale() ? (float) (v * s.rescaleFactor()) : (float) v;
                if (s.doNormalize()) {
                    x = (x - meanF) / stdF;
                }
                table[c * 256 + v] = x;
            }
        }
    }

    /**
     * Writes the {@code w × h} window at (x0, y0) of an interleaved RGB image {@code stride} pixels wide
     * as planar [3, h, w] floats at {@code out[offset]}.
     */
    void writeChw(byte[] rgb, int stride, int x0, int y0, int w, int h, float[] out, int offset) {
        for (int c = 0; c < PixelScaling.CHANNELS; c++) {
            writePlane(rgb, stride, x0, y0, w, h, c, out, offset + c * w * h);
        }
    }

    /** As {@link #writeChw} for channel {@code c} only: [h, w] floats at {@code out[offset]}. */
    void writePlane(byte[] rgb, int stride, int x0, int y0, int w, int h, int c, float[] out, int offset) {
        int t = c * 256;
        int o = offset;
        for (int y = 0; y < h; y++) {
            int p = 3 * ((y0 + y) * stride + x0) + c;
            for (int x = 0; x < w; x++, p += 3) {
                out[o++] = table[t + (rgb[p] & 0xff)];
            }
        }
    }
}
