package dev.casa.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Small vectorized elementwise helpers: residual add, scaling, axpy, max, softmax. */
public final class VectorMath {
    private VectorMath() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** {@code acc[accOffset+i] += x[xOffset+i]}. */
    public static void add(float[] acc, int accOffset, float[] x, int xOffset, int length) {
        int i = 0;
        for (int bound = S.loopBound(length); i < bound; i += L) {
            FloatVector.fromArray(S, acc, accOffset + i).add(FloatVector.fromArray(S, x, xOffset + i))
                    .intoArray(acc, accOffset + i);
        }
        for (; i < length; i++) acc[accOffset + i] += x[xOffset + i];
    }

    /** {@code x[offset+i] *= s}. */
    public static void scale(float[] x, int offset, int length, float s) {
        int i = 0;
        for (int bound = S.loopBound(length); i < bound; i += L) {
            FloatVector.fromArray(S, x, offset + i).mul(s).intoArray(x, offset + i);
        }
        for (; i < length; i++) x[offset + i] *= s;
    }

    /** {@code y[yOffset+i] += a · x[xOffset+i]}, fused (one rounding). */
    public static void axpy(float a, float[] x, int xOffset, float[] y, int yOffset, int length) {
        int i = 0;
        FloatVector av = FloatVector.broadcast(S, a);
        for (int bound = S.loopBound(length); i < bound; i += L) {
            FloatVector.fromArray(S, x, xOffset + i).fma(av, FloatVector.fromArray(S, y, yOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < length; i++) y[yOffset + i] = Math.fma(a, x[xOffset + i], y[yOffset + i]);
    }

    /** Largest of {@code x[offset, offset+length)}; -∞ when empty. */
    public static float max(float[] x, int offset, int length) {
        int i = 0;
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int bound = S.loopBound(length); i < bound; i += L) m = m.max(FloatVector.fromArray(S, x, offset + i));
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < length; i++) r = Math.max(r, x[offset + i]);
        return r;
    }

    /** {@code x[i] = exp(x[i] - shift)} in place; returns the sum of the new values. */
    public static float expShifted(float[] x, int offset, int length, float shift) {
        int i = 0;
        FloatVector sum = FloatVector.zero(S);
        for (int bound = S.loopBound(length); i < bound; i += L) {
            FloatVector e = FloatVector.fromArray(S, x, offset + i).sub(shift).lanewise(VectorOperators.EXP);
            e.intoArray(x, offset + i);
            sum = sum.add(e);
        }
        float s = sum.reduceLanes(VectorOperators.ADD);
        for (; i < length; i++) {
            float e = (float) Math.exp(x[offset + i] - shift);
            x[offset + i] = e;
            s += e;
        }
        return s;
    }

    /** In-place, numerically stable softmax (max subtracted, fp32). An empty range is left alone. */
    public static void softmax(float[] x, int offset, int length) {
        if (length <= 0) return;
        float max = max(x, offset, length);
        float sum = expShifted(x, offset, length, max);
        scale(x, offset, length, 1f / sum);
    }
}
