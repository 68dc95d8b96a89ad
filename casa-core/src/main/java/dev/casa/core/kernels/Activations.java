package dev.casa.core.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise activations, in place over {@code x[offset, offset+length)}, vectorized with the
 * Vector API's lanewise EXP. Each is written so that it keeps ~1e-6 relative accuracy also where the
 * result is tiny (large negative inputs): no {@code 1 + tanh} or {@code 1 + erf} cancellation.
 */
public final class Activations {
    private Activations() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    /** −2·√(2/π): gelu_tanh(x) = x·sigmoid(2u) = x / (1 + exp(−2u)), u = √(2/π)·x·(1 + 0.044715·x²). */
    private static final double MINUS_TWO_C = -2 * SQRT_2_OVER_PI;
    /** Doubles per vector, and the float species with as many lanes (for F2D / D2F conversion). */
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int DL = DS.length();
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(DS.vectorBitSize() / 2));

    /**
     * {@code gelu_pytorch_tanh}: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), evaluated as x / (1 + exp(−2u)).
     * In double lanes: the exponent reaches ~20 where the result still matters (x ≈ −5), and float
     * rounding of it would cost |2u|·ε ≈ 1e-6 relative.
     */
    public static void geluTanh(float[] x, int offset, int length) {
        int i = 0;
        for (int bound = FH.loopBound(length); i < bound; i += DL) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(FH, x, offset + i).convertShape(VectorOperators.F2D, DS, 0);
            DoubleVector t = v.mul(v).fma(DoubleVector.broadcast(DS, 0.044715), DoubleVector.broadcast(DS, 1.0));   // 1 + 0.044715·x²
            DoubleVector e = v.mul(MINUS_TWO_C).mul(t).lanewise(VectorOperators.EXP);
            ((FloatVector) v.div(e.add(1.0)).convertShape(VectorOperators.D2F, FH, 0)).intoArray(x, offset + i);
        }
        for (; i < length; i++) {
            double v = x[offset + i];
            x[offset + i] = (float) (v / (1 + Math.exp(-2 * SQRT_2_OVER_PI * v * (1 + 0.044715 * v * v))));
        }
    }

    /**
     * Exact GELU: 0.5·x·(1 + erf(x/√2)) = 0.5·x·erfc(−x/√2). erfc(z), z = |x|/√2, is the Numerical Recipes
     * Chebyshev fit (fractional error < 1.2e-7): t·exp(−z² + P(t)), t = 1/(1 + z/2). z² = x²/2 is split
     * into hi + lo (exact with FMA) so that exp(−z²) keeps full relative accuracy for large |x|.
     */
    public static void gelu(float[] x, int offset, int length) {
        int i = 0;
        for (int bound = S.loopBound(length); i < bound; i += L) {
            geluErf(FloatVector.fromArray(S, x, offset + i)).intoArray(x, offset + i);
        }
        for (; i < length; i++) {
            double v = x[offset + i];
            x[offset + i] = (float) (0.5 * v * erfc(-v / Math.sqrt(2.0)));
        }
    }

    /** The vector body of {@link #gelu}, kept in its own method so C2 compiles (and inlines) it as one unit. */
    private static FloatVector geluErf(FloatVector v) {
        FloatVector hi = v.mul(v);
        FloatVector lo = v.fma(v, hi.neg());                  // x² − hi, exact
        FloatVector z = v.abs().mul((float) (1 / Math.sqrt(2)));
        FloatVector t = z.mul(0.5f).add(1f);
        t = FloatVector.broadcast(S, 1f).div(t);
        FloatVector poly = t.fma(FloatVector.broadcast(S, 0.17087277f), FloatVector.broadcast(S, -0.82215223f));
        poly = poly.fma(t, FloatVector.broadcast(S, 1.48851587f));
        poly = poly.fma(t, FloatVector.broadcast(S, -1.13520398f));
        poly = poly.fma(t, FloatVector.broadcast(S, 0.27886807f));
        poly = poly.fma(t, FloatVector.broadcast(S, -0.18628806f));
        poly = poly.fma(t, FloatVector.broadcast(S, 0.09678418f));
        poly = poly.fma(t, FloatVector.broadcast(S, 0.37409196f));
        poly = poly.fma(t, FloatVector.broadcast(S, 1.00002368f));
        poly = poly.fma(t, FloatVector.broadcast(S, -1.26551223f));
        FloatVector big = hi.mul(-0.5f).lanewise(VectorOperators.EXP);
        FloatVector small = lo.mul(-0.5f).add(poly).lanewise(VectorOperators.EXP);
        FloatVector r = t.mul(big).mul(small);                // erfc(|x|/√2)
        VectorMask<Float> negative = v.compare(VectorOperators.LT, 0f);
        FloatVector onePlusErf = r.neg().add(2f).blend(r, negative);
        return v.mul(0.5f).mul(onePlusErf);
    }

    /** {@code x·sigmoid(x)}. */
    public static void silu(float[] x, int offset, int length) {
        int i = 0;
        for (int bound = S.loopBound(length); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, offset + i);
            v.div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(x, offset + i);
        }
        for (; i < length; i++) {
            double v = x[offset + i];
            x[offset + i] = (float) (v / (1 + Math.exp(-v)));
        }
    }

    /** {@code x·sigmoid(1.702·x)} (HF {@code quick_gelu}, Qwen2-VL's vision MLP). */
    public static void quickGelu(float[] x, int offset, int length) {
        int i = 0;
        for (int bound = S.loopBound(length); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, offset + i);
            v.div(v.mul(-1.702f).lanewise(VectorOperators.EXP).add(1f)).intoArray(x, offset + i);
        }
        for (; i < length; i++) {
            double v = x[offset + i];
            x[offset + i] = (float) (v / (1 + Math.exp(-1.702 * v)));
        }
    }

    /** {@code gate[i] = silu(gate[i]) * up[i]} (the SwiGLU product), written into gate. */
    public static void swiglu(float[] gate, int gateOffset, float[] up, int upOffset, int length) {
        int i = 0;
        for (int bound = S.loopBound(length); i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(S, gate, gateOffset + i);
            FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
            silu.mul(FloatVector.fromArray(S, up, upOffset + i)).intoArray(gate, gateOffset + i);
        }
        for (; i < length; i++) {
            double g = gate[gateOffset + i];
            gate[gateOffset + i] = (float) (g / (1 + Math.exp(-g)) * up[upOffset + i]);
        }
    }

    /** erf with |error| < 1.2e-7 (Numerical Recipes erfc Chebyshev fit). */
    static double erf(double x) {
        return 1 - erfc(x);
    }

    /** erfc with fractional error < 1.2e-7 (Numerical Recipes Chebyshev fit). */
    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
