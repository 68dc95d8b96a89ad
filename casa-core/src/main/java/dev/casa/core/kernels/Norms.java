package dev.casa.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** RMSNorm and LayerNorm over rows of {@code size} floats, vectorized, accumulated in fp32. */
public final class Norms {
    private Norms() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** {@code out = x / sqrt(mean(x²) + eps) * weight}, accumulated in fp32 (HF Llama/Helium). {@code out} may be {@code x}. */
    public static void rmsNorm(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset, int size) {
        int i = 0, bound = S.loopBound(size);
        FloatVector acc = FloatVector.zero(S);
        for (; i < bound; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xOffset + i);
            acc = xv.fma(xv, acc);
        }
        float ss = acc.reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) ss += x[xOffset + i] * x[xOffset + i];
        // HF: torch.rsqrt(variance + eps) in fp32; rsqrt is computed in double and rounded once here
        float inv = (float) (1.0 / Math.sqrt(ss / size + eps));
        i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, xOffset + i).mul(inv).mul(FloatVector.fromArray(S, weight, i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < size; i++) out[outOffset + i] = x[xOffset + i] * inv * weight[i];
    }

    /** Applies {@link #rmsNorm} to {@code rows} rows of {@code size} floats, {@code stride} apart in both arrays. */
    public static void rmsNorm(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset,
                               int size, int rows, int stride) {
        for (int r = 0; r < rows; r++) rmsNorm(x, xOffset + r * stride, weight, eps, out, outOffset + r * stride, size);
    }

    /**
     * {@code out = (x - mean) / sqrt(var + eps) * weight + bias}, biased variance (PyTorch), two passes
     * (mean first, then squared deviations) so large means do not cancel. {@code out} may be {@code x}.
     */
    public static void layerNorm(float[] x, int xOffset, float[] weight, float[] bias, float eps,
                                 float[] out, int outOffset, int size) {
        int i = 0, bound = S.loopBound(size);
        FloatVector acc = FloatVector.zero(S);
        for (; i < bound; i += L) acc = acc.add(FloatVector.fromArray(S, x, xOffset + i));
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) sum += x[xOffset + i];
        float mean = sum / size;

        FloatVector meanV = FloatVector.broadcast(S, mean);
        acc = FloatVector.zero(S);
        for (i = 0; i < bound; i += L) {
            FloatVector dv = FloatVector.fromArray(S, x, xOffset + i).sub(meanV);
            acc = dv.fma(dv, acc);
        }
        float var = acc.reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) {
            float d = x[xOffset + i] - mean;
            var += d * d;
        }
        var /= size;
        float inv = (float) (1.0 / Math.sqrt(var + eps));

        for (i = 0; i < bound; i += L) {
            FloatVector.fromArray(S, x, xOffset + i).sub(meanV).mul(inv)
                    .fma(FloatVector.fromArray(S, weight, i), FloatVector.fromArray(S, bias, i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < size; i++) out[outOffset + i] = (x[xOffset + i] - mean) * inv * weight[i] + bias[i];
    }
}
