package dev.casa.vision.image;

/**
 * One axis of Pillow's separable resampling (Resample.c {@code precompute_coeffs} followed by
 * {@code normalize_coeffs_8bpc}): for each output pixel, the first source pixel, the number of source
 * pixels and their weights in 22-bit fixed point. When downscaling the kernel is stretched by the
 * scale factor (antialiasing).
 */
final class ResampleCoefficients {
    /** Fixed-point fraction bits: 32 - 8 (result) - 2 (headroom for negative lobes and overshoot). */
    static final int PRECISION_BITS = 32 - 8 - 2;

    final int outSize;
    /** Coefficient slots per output pixel (stride of {@link #weights}). */
    final int kernelSize;
    final int[] first;
    final int[] count;
    final int[] weights;

    private ResampleCoefficients(int outSize, int kernelSize) {
        this.outSize = outSize;
        this.kernelSize = kernelSize;
        this.first = new int[outSize];
        this.count = new int[outSize];
        this.weights = new int[outSize * kernelSize];
    }

    static ResampleCoefficients compute(int inSize, int outSize, ResampleFilter filter) {
        // Pillow passes the source box as C floats (0, inSize) and divides in double.
        double scale = (double) (float) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support() * filterScale;
        int kernelSize = (int) Math.ceil(support) * 2 + 1;
        ResampleCoefficients c = new ResampleCoefficients(outSize, kernelSize);
        double[] k = new double[kernelSize];
        double invScale = 1.0 / filterScale;
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = filter.weight((x + xmin - center + 0.5) * invScale);
                k[x] = w;
                sum += w;
            }
            for (int x = 0; x < xmax; x++) {
                double normalised = sum != 0.0 ? k[x] / sum : k[x];
                c.weights[xx * kernelSize + x] = toFixed(normalised);
            }
            c.first[xx] = xmin;
            c.count[xx] = xmax;
        }
        return c;
    }

    /** Rounds half away from zero, as Pillow's {@code (int)(±0.5 + k * (1 << PRECISION_BITS))}. */
    private static int toFixed(double k) {
        double scaled = k * (1 << PRECISION_BITS);
        return k < 0 ? (int) (-0.5 + scaled) : (int) (0.5 + scaled);
    }

    /** First source index any output pixel reads. */
    int firstUsed() { return first[0]; }

    /** One past the last source index any output pixel reads. */
    int endUsed() { return first[outSize - 1] + count[outSize - 1]; }
}
