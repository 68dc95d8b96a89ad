package dev.casa.core.nn;

import dev.casa.core.kernels.Norms;
import dev.casa.core.kernels.ThreadPool;

/** PyTorch LayerNorm over rows of {@code weight.length} floats (biased variance, two passes). */
public record LayerNorm(float[] weight, float[] bias, float eps) {

    public int width() { return weight.length; }

    public void forward(float[] input, int inOffset, int rows, float[] output, int outOffset) {
        int d = weight.length;
        for (int r = 0; r < rows; r++) Norms.layerNorm(input, inOffset + r * d, weight, bias, eps, output, outOffset + r * d, d);
    }

    /** Rows split across the pool; {@code output} may be {@code input}. */
    public void forward(ThreadPool pool, float[] input, int rows, float[] output) {
        pool.parallelFor(rows, (r0, r1) -> forward(input, r0 * weight.length, r1 - r0, output, r0 * weight.length));
    }
}
