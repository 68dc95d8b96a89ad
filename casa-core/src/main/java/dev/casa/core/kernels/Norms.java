package dev.casa.core.kernels;

/** RMSNorm and LayerNorm over rows of {@code size} floats. TODO(foundation): vectorize. */
public final class Norms {
    private Norms() {}

    /** {@code out = x / sqrt(mean(x²) + eps) * weight}, accumulated in fp32 (HF Llama/Helium). */
    public static void rmsNorm(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset, int size) {
        float ss = 0f;
        for (int i = 0; i < size; i++) ss += x[xOffset + i] * x[xOffset + i];
        float inv = (float) (1.0 / Math.sqrt(ss / size + eps));
        for (int i = 0; i < size; i++) out[outOffset + i] = x[xOffset + i] * inv * weight[i];
    }

    /** {@code out = (x - mean) / sqrt(var + eps) * weight + bias}, biased variance (PyTorch). */
    public static void layerNorm(float[] x, int xOffset, float[] weight, float[] bias, float eps,
                                 float[] out, int outOffset, int size) {
        float mean = 0f;
        for (int i = 0; i < size; i++) mean += x[xOffset + i];
        mean /= size;
        float var = 0f;
        for (int i = 0; i < size; i++) {
            float d = x[xOffset + i] - mean;
            var += d * d;
        }
        var /= size;
        float inv = (float) (1.0 / Math.sqrt(var + eps));
        for (int i = 0; i < size; i++) out[outOffset + i] = (x[xOffset + i] - mean) * inv * weight[i] + bias[i];
    }
}
