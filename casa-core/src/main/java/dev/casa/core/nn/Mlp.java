package dev.casa.core.nn;

import dev.casa.core.kernels.ThreadPool;

/** {@code fc2(act(fc1(x)))}: the SigLIP and Qwen2-VL vision MLPs, the LLaVA projector. */
public record Mlp(Linear fc1, Linear fc2, Activation act) {

    public int intermediate() { return fc1.out(); }

    /** {@code rows} rows of {@code x} → {@code out}; {@code hidden} holds {@code rows · intermediate()} floats. */
    public void forward(ThreadPool pool, float[] x, int rows, float[] hidden, float[] out) {
        fc1.forward(pool, x, rows, hidden);
        act.apply(pool, hidden, 0, rows, intermediate());
        fc2.forward(pool, hidden, rows, out);
    }
}
