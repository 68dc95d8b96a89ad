package dev.casa.core.kernels;

/** Small elementwise helpers: residual add, scaling, softmax. TODO(foundation): vectorize. */
public final class VectorMath {
    private VectorMath() {}

    /** {@code acc[accOffset+i] += x[xOffset+i]}. */
    public static void add(float[] acc, int accOffset, float[] x, int xOffset, int length) {
        for (int i = 0; i < length; i++) acc[accOffset + i] += x[xOffset + i];
    }

    /** {@code x[offset+i] *= s}. */
    public static void scale(float[] x, int offset, int length, float s) {
        for (int i = 0; i < length; i++) x[offset + i] *= s;
    }

    /** In-place, numerically stable softmax. */
    public static void softmax(float[] x, int offset, int length) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) max = Math.max(max, x[offset + i]);
        float sum = 0f;
        for (int i = 0; i < length; i++) {
            x[offset + i] = (float) Math.exp(x[offset + i] - max);
            sum += x[offset + i];
        }
        for (int i = 0; i < length; i++) x[offset + i] /= sum;
    }
}
