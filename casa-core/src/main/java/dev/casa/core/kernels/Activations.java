package dev.casa.core.kernels;

/** Elementwise activations, in place over {@code x[offset, offset+length)}. TODO(foundation): vectorize. */
public final class Activations {
    private Activations() {}

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** {@code gelu_pytorch_tanh}: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    public static void geluTanh(float[] x, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
        }
    }

    /** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
    public static void gelu(float[] x, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1 + erf(v / Math.sqrt(2.0))));
        }
    }

    /** {@code x·sigmoid(x)}. */
    public static void silu(float[] x, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            double v = x[i];
            x[i] = (float) (v / (1 + Math.exp(-v)));
        }
    }

    /** {@code gate[i] = silu(gate[i]) * up[i]} (the SwiGLU product), written into gate. */
    public static void swiglu(float[] gate, int gateOffset, float[] up, int upOffset, int length) {
        for (int i = 0; i < length; i++) {
            double g = gate[gateOffset + i];
            gate[gateOffset + i] = (float) (g / (1 + Math.exp(-g)) * up[upOffset + i]);
        }
    }

    /** erf with |error| < 1.2e-7 (Numerical Recipes erfc Chebyshev fit). */
    static double erf(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }
}
