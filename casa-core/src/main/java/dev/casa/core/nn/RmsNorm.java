package dev.casa.core.nn;

import dev.casa.core.kernels.Norms;
import dev.casa.core.kernels.ThreadPool;

/** RMSNorm over rows of {@code weight.length} floats, accumulated in fp32 (HF Llama/Qwen2/Helium). */
public record RmsNorm(float[] weight, float eps) {

    public int width() { return weight.length; }

    /** Normalizes {@code rows} rows; {@code output} may be {@code input}. */
    public void forward(float[] input, int inOffset, int rows, float[] output, int outOffset) {
        int d = weight.length;
        for (int r = 0; r < rows; r++) Norms.rmsNorm(input, inOffset + r * d, weight, eps, output, outOffset + r * d, d);
    }

    public void forward(float[] input, int rows, float[] output) {
        forward(input, 0, rows, output, 0);
    }

    /** Rows split across the pool (many rows: vision towers). */
    public void forward(ThreadPool pool, float[] input, int rows, float[] output) {
        pool.parallelFor(rows, (r0, r1) -> forward(input, r0 * weight.length, r1 - r0, output, r0 * weight.length));
    }
}
