package dev.casa.core.nn;

import dev.casa.core.kernels.ThreadPool;

/** {@code down(act(gate(x)) · up(x))}: the Llama/Qwen2 MLP and Qwen2.5-VL's vision MLP (SwiGLU with silu). */
public record GatedMlp(Linear gate, Linear up, Linear down, Activation act) {

    public int intermediate() { return gate.out(); }

    /**
     * {@code rows} rows of {@code x} → {@code out}. {@code gateScratch} and {@code upScratch} hold
     * {@code rows · intermediate()} floats each.
     */
    public void forward(ThreadPool pool, float[] x, int rows, float[] gateScratch, float[] upScratch, float[] out) {
        // gate and up read the same x: one pool call in decode
        Linear.forwardShared(pool, x, 0, rows, new Linear[] {gate, up}, new float[][] {gateScratch, upScratch}, new int[2]);
        if (rows * (long) intermediate() >= 1 << 16) {
            act.gatedProduct(pool, gateScratch, upScratch, rows, intermediate());
        } else {
            act.gatedProduct(gateScratch, 0, upScratch, 0, rows * intermediate());
        }
        down.forward(pool, gateScratch, rows, out);
    }
}
