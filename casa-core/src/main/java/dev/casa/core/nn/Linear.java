package dev.casa.core.nn;

import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.Tensor;

/**
 * HF {@code nn.Linear}: {@code y = x·Wᵀ + b} with W {@code [out, in]} (memory-mapped, any float format)
 * and an optional bias.
 */
public record Linear(Tensor weight, float[] bias) {

    public int in() { return weight.cols(); }

    public int out() { return weight.rows(); }

    /** {@code rows} rows of {@code in()} floats from {@code input[inOffset]} → rows of {@code out()} floats at {@code output[outOffset]}. */
    public void forward(ThreadPool pool, float[] input, int inOffset, int rows, float[] output, int outOffset) {
        Matmul.matmul(pool, input, inOffset, rows, weight, bias, output, outOffset);
    }

    public void forward(ThreadPool pool, float[] input, int rows, float[] output) {
        forward(pool, input, 0, rows, output, 0);
    }
}
