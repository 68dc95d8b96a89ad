package dev.casa.core.kernels;

/**
 * Plain scalar reference implementations in double precision: the oracle for the vectorized kernels.
 * Written from the formulas (HF / PyTorch semantics), sharing no code with the kernels.
 */
final class ReferenceKernels {
    private ReferenceKernels() {}

    /** Whether query i sees key j: keys below prefixKeys always, then causal with the given offset. */
    static boolean sees(int prefixKeys, int causalOffset, int i, int j) {
        return j < prefixKeys || (long) (j - prefixKeys) <= (long) causalOffset + i;
    }

    /** Whether query i sees key j. */
    interface Visibility {
        boolean sees(int i, int j);
    }

    /**
     * Packed sequences (FlashAttention cu_seqlens): query i sees key j when both lie in the same
     * segment {@code [cu[s], cu[s+1])}, found by a plain scan.
     */
    static boolean sameSegment(int[] cu, int i, int j) {
        for (int s = 0; s + 1 < cu.length; s++) {
            boolean qi = cu[s] <= i && i < cu[s + 1];
            if (qi) return cu[s] <= j && j < cu[s + 1];
        }
        return false;
    }

    static double[] attention(float[] q, int qOffset, int qStride, int numQueries, int heads, int headDim,
                              float[] k, int kOffset, float[] v, int vOffset, int kvStride, int numKeys,
                              int kvHeads, int prefixKeys, int causalOffset, double scale) {
        return attention(q, qOffset, qStride, numQueries, heads, headDim, k, kOffset, v, vOffset, kvStride, numKeys,
                kvHeads, (i, j) -> sees(prefixKeys, causalOffset, i, j), scale);
    }

    static double[] attention(float[] q, int qOffset, int qStride, int numQueries, int heads, int headDim,
                              float[] k, int kOffset, float[] v, int vOffset, int kvStride, int numKeys,
                              int kvHeads, Visibility visibility, double scale) {
        double[] out = new double[numQueries * heads * headDim];
        int group = heads / kvHeads;
        double[] s = new double[numKeys];
        for (int i = 0; i < numQueries; i++) {
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < numKeys; j++) {
                    if (!visibility.sees(i, j)) {
                        s[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) q[qOffset + i * qStride + h * headDim + d] * k[kOffset + j * kvStride + g * headDim + d];
                    }
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) continue;   // sees nothing: zeros
                double sum = 0;
                for (int j = 0; j < numKeys; j++) {
                    s[j] = s[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = 0; j < numKeys; j++) {
                    if (s[j] == 0) continue;
                    for (int d = 0; d < headDim; d++) {
                        out[(i * heads + h) * headDim + d] += s[j] / sum * v[vOffset + j * kvStride + g * headDim + d];
                    }
                }
            }
        }
        return out;
    }

    static double[] rmsNorm(float[] x, int off, float[] w, double eps, int n) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) x[off + i] * x[off + i];
        double inv = 1 / Math.sqrt(ss / n + eps);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = x[off + i] * inv * w[i];
        return out;
    }

    static double[] layerNorm(float[] x, int off, float[] w, float[] b, double eps, int n) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += x[off + i];
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
        var /= n;
        double inv = 1 / Math.sqrt(var + eps);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = (x[off + i] - mean) * inv * w[i] + b[i];
        return out;
    }

    static double geluTanh(double x) {
        double u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
        // for u < 0, 1 + tanh(u) cancels even in double; use 1 + tanh(u) = 2·e^{2u} / (1 + e^{2u})
        double onePlusTanh = u >= 0 ? 1 + Math.tanh(u) : 2 * Math.exp(2 * u) / (1 + Math.exp(2 * u));
        return 0.5 * x * onePlusTanh;
    }

    static double gelu(double x) {
        return 0.5 * x * erfc(-x / Math.sqrt(2));
    }

    static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    /**
     * erfc to ~1e-15 relative: Maclaurin series of erf for |x| < 2.5, else the Laplace continued
     * fraction for erfc (evaluated bottom-up), reflected for negative x.
     */
    static double erfc(double x) {
        if (x < 0) return 2 - erfc(-x);
        if (x < 2.5) {
            double term = x, sum = x;
            for (int n = 1; n < 200; n++) {
                term *= -x * x / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-18 * Math.abs(sum)) break;
            }
            return 1 - 2 / Math.sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        double f = x;
        for (int n = 120; n >= 1; n--) f = x + (n / 2.0) / f;
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    /** HF RoPE in float32 angles: inv_freq and pos·inv_freq rounded to float, then cos/sin. */
    static double[] rope(float[] x, int off, int headDim, int pos, double theta, boolean interleaved) {
        double[] out = new double[headDim];
        int half = headDim / 2;
        for (int kk = 0; kk < half; kk++) {
            float invFreq = (float) (1.0 / Math.pow(theta, 2.0 * kk / headDim));
            float angle = (float) pos * invFreq;
            double c = Math.cos(angle), s = Math.sin(angle);
            int a = interleaved ? 2 * kk : kk;
            int b = interleaved ? 2 * kk + 1 : kk + half;
            out[a] = x[off + a] * c - x[off + b] * s;
            out[b] = x[off + b] * c + x[off + a] * s;
        }
        return out;
    }
}
