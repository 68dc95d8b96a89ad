package dev.casa.core.nn;

import dev.casa.core.kernels.Activations;
import dev.casa.core.kernels.ThreadPool;

/** The elementwise activations an HF config may name ({@code hidden_act}, {@code projector_hidden_act}). */
public enum Activation {
    /** {@code x·sigmoid(x)}; HF {@code swish} is the same function. */
    SILU,
    /** Exact GELU, {@code 0.5·x·(1 + erf(x/√2))}. */
    GELU,
    /** {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}; HF {@code gelu_new} is the same function. */
    GELU_TANH,
    /** {@code x·sigmoid(1.702·x)}. */
    QUICK_GELU,
    /** {@code max(x, 0)}. */
    RELU;

    /** The activation HF calls {@code name}; an unknown name is an IllegalArgumentException listing the known ones. */
    public static Activation fromHf(String name) {
        return switch (name) {
            case "silu", "swish" -> SILU;
            case "gelu" -> GELU;
            case "gelu_pytorch_tanh", "gelu_new" -> GELU_TANH;
            case "quick_gelu" -> QUICK_GELU;
            case "relu" -> RELU;
            default -> throw new IllegalArgumentException("unsupported activation '" + name
                    + "' (supported: silu, swish, gelu, gelu_pytorch_tanh, gelu_new, quick_gelu, relu)");
        };
    }

    /** Applies the activation in place to {@code x[offset, offset+length)}. */
    public void apply(float[] x, int offset, int length) {
        switch (this) {
            case SILU -> Activations.silu(x, offset, length);
            case GELU -> Activations.gelu(x, offset, length);
            case GELU_TANH -> Activations.geluTanh(x, offset, length);
            case QUICK_GELU -> Activations.quickGelu(x, offset, length);
            case RELU -> {
                for (int i = offset; i < offset + length; i++) x[i] = Math.max(x[i], 0f);
            }
        }
    }

    /** Applies the activation to {@code rows} rows of {@code width} floats, rows split across the pool. */
    public void apply(ThreadPool pool, float[] x, int offset, int rows, int width) {
        pool.parallelFor(rows, (r0, r1) -> apply(x, offset + r0 * width, (r1 - r0) * width));
    }

    /** {@code gate[i] = act(gate[i]) · up[i]} over {@code length} elements (the gated MLP product). */
    public void gatedProduct(float[] gate, int gateOffset, float[] up, int upOffset, int length) {
        if (this == SILU) {
            Activations.swiglu(gate, gateOffset, up, upOffset, length);
            return;
        }
        apply(gate, gateOffset, length);
        for (int i = 0; i < length; i++) gate[gateOffset + i] *= up[upOffset + i];
    }

    /** {@link #gatedProduct} over {@code rows} rows of {@code width}, rows split across the pool. */
    public void gatedProduct(ThreadPool pool, float[] gate, float[] up, int rows, int width) {
        pool.parallelFor(rows, (r0, r1) -> gatedProduct(gate, r0 * width, up, r0 * width, (r1 - r0) * width));
    }
}
