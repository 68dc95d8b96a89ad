package dev.casa.vision;

import dev.casa.core.kernels.Activations;
import dev.casa.core.kernels.ThreadPool;

/** The elementwise activations a config may name ({@code hidden_act}, {@code projector_hidden_act}). */
public enum HiddenAct {
    /** Exact GELU, {@code 0.5·x·(1 + erf(x/√2))}. */
    GELU,
    /** {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}; HF {@code gelu_new} is the same function. */
    GELU_PYTORCH_TANH,
    /** {@code x·sigmoid(x)}; HF {@code swish} is the same function. */
    SILU,
    /** {@code max(x, 0)}. */
    RELU;

    /** Parses an HF activation name; {@code key} names the config key for the error message. */
    public static HiddenAct parse(String name, String key) {
        return switch (name) {
            case "gelu" -> GELU;
            case "gelu_pytorch_tanh", "gelu_new" -> GELU_PYTORCH_TANH;
            case "silu", "swish" -> SILU;
            case "relu" -> RELU;
            default -> throw new VisionModelException(key + ": unsupported activation '" + name
                    + "' (expected gelu, gelu_pytorch_tanh, gelu_new, silu, swish or relu)");
        };
    }

    /** Applies the activation in place to {@code x[offset, offset+length)}. */
    public void apply(float[] x, int offset, int length) {
        switch (this) {
            case GELU -> Activations.gelu(x, offset, length);
            case GELU_PYTORCH_TANH -> Activations.geluTanh(x, offset, length);
            case SILU -> Activations.silu(x, offset, length);
            case RELU -> {
                for (int i = offset; i < offset + length; i++) x[i] = Math.max(x[i], 0f);
            }
        }
    }

    /** Applies the activation to {@code rows} rows of {@code width} floats, rows split across the pool. */
    public void apply(ThreadPool pool, float[] x, int offset, int rows, int width) {
        pool.parallelFor(rows, (r0, r1) -> apply(x, offset + r0 * width, (r1 - r0) * width));
    }
}
