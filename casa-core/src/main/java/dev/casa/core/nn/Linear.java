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

    /**
     * Several Linears of the same input: {@code ls[i]} writes {@code outputs[i]} from {@code outOffsets[i]},
     * exactly as its {@link #forward} would. In decode they run as one pool call ({@link Matmul#matmulShared}).
     */
    public static void forwardShared(ThreadPool pool, float[] input, int inOffset, int rows, Linear[] ls,
                                     float[][] outputs, int[] outOffsets) {
        Tensor[] weights = new Tensor[ls.length];
        float[][] biases = new float[ls.length][];
        for (int i = 0; i < ls.length; i++) {
            weights[i] = ls[i].weight;
            biases[i] = ls[i].bias;
        }
        Matmul.matmulShared(pool, input, inOffset, rows, weights, biases, outputs, outOffsets);
    }
}
