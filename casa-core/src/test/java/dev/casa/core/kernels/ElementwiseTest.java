package dev.casa.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Norms, activations and vector helpers against the double-precision formulas of
 * {@link ReferenceKernels}, at awkward sizes (vector body + scalar tail) and non-zero offsets.
 */
class ElementwiseTest {
    private static final double EPS = Math.ulp(1f);

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 17, 33, 100, 257, 1000})
    void rmsNorm(int n) {
        Random rnd = new Random(n);
        float[] x = random(rnd, n + 5, 3f), w = random(rnd, n, 2f);
        float[] out = new float[n + 2];
        Norms.rmsNorm(x, 5, w, 1e-6f, out, 2, n);
        double[] ref = ReferenceKernels.rmsNorm(x, 5, w, 1e-6, n);
        // Σx² of n non-negative terms errs by ≤ nε relative in any order; the square root halves it;
        // the division, sqrt and the two products add a few ε.
        double rel = ((n + 1) / 2.0 + 5) * EPS;
        for (int i = 0; i < n; i++) assertClose(ref[i], out[2 + i], rel * Math.abs(ref[i]), "rmsNorm " + i);

        // in place, batched rows with a stride
        float[] rows = random(rnd, 3 * (n + 4), 1f);
        float[] copy = rows.clone();
        Norms.rmsNorm(rows, 0, w, 1e-6f, rows, 0, n, 3, n + 4);
        for (int r = 0; r < 3; r++) {
            double[] rr = ReferenceKernels.rmsNorm(copy, r * (n + 4), w, 1e-6, n);
            for (int i = 0; i < n; i++) assertClose(rr[i], rows[r * (n + 4) + i], rel * Math.abs(rr[i]), "row " + r);
            for (int i = n; i < n + 4; i++) assertEquals(copy[r * (n + 4) + i], rows[r * (n + 4) + i], "padding");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 17, 33, 100, 257, 1000})
    void layerNorm(int n) {
        Random rnd = new Random(n);
        float[] x = random(rnd, n + 3, 2f);
        for (int i = 0; i < x.length; i++) x[i] += 5f;   // non-zero mean: the two-pass variance matters
        float[] w = random(rnd, n, 2f), b = random(rnd, n, 1f);
        float[] out = new float[n];
        Norms.layerNorm(x, 3, w, b, 1e-6f, out, 0, n);
        double[] ref = ReferenceKernels.layerNorm(x, 3, w, b, 1e-6, n);
        double mean = 0, var = 0, maxAbs = 0;
        for (int i = 0; i < n; i++) mean += x[3 + i] / (double) n;
        for (int i = 0; i < n; i++) {
            var += (x[3 + i] - mean) * (x[3 + i] - mean) / n;
            maxAbs = Math.max(maxAbs, Math.abs(x[3 + i]));
        }
        double inv = 1 / Math.sqrt(var + 1e-6);
        for (int i = 0; i < n; i++) {
            // the float mean errs by ≤ nε·max|x| (shifting every x − mean), the variance by ≤ nε relative
            double tol = (n + 8) * EPS * (Math.abs(ref[i]) + maxAbs * inv * Math.abs(w[i])) + 2 * EPS * Math.abs(b[i]);
            assertClose(ref[i], out[i], tol, "layerNorm " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17, 100, 1000})
    void activationsMatchDoubleFormulas(int n) {
        check(n, "geluTanh", ReferenceKernels::geluTanh, (x, o, l) -> Activations.geluTanh(x, o, l));
        check(n, "gelu", ReferenceKernels::gelu, (x, o, l) -> Activations.gelu(x, o, l));
        check(n, "silu", ReferenceKernels::silu, (x, o, l) -> Activations.silu(x, o, l));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17, 100, 1000})
    void swiglu(int n) {
        Random rnd = new Random(n);
        float[] g = spread(rnd, n + 1), up = random(rnd, n + 4, 3f);
        float[] out = g.clone();
        Activations.swiglu(out, 1, up, 4, n);
        for (int i = 0; i < n; i++) {
            double ref = ReferenceKernels.silu(g[1 + i]) * up[4 + i];
            assertClose(ref, out[1 + i], 1e-6 * Math.abs(ref) + 1e-37, "swiglu " + i + " g=" + g[1 + i]);
        }
    }

    /**
     * Tolerance 1e-6 relative (~8 ulp): SVML exp is within a few ulp, the arguments are formed with
     * 2–4 float roundings and amplified by |argument| ≤ ~10 where the result is not negligible.
     * Results below 1e-30 in magnitude (x ≲ −15) are only required to be that small.
     */
    private static void check(int n, String name, DoubleUnaryOperator ref, Kernel kernel) {
        Random rnd = new Random(n * 31 + name.hashCode());
        float[] x = spread(rnd, n + 2);
        float[] out = x.clone();
        kernel.apply(out, 2, n);
        for (int i = 0; i < 2; i++) assertEquals(x[i], out[i], name + " wrote before offset");
        for (int i = 0; i < n; i++) {
            double want = ref.applyAsDouble(x[2 + i]);
            assertClose(want, out[2 + i], 1e-6 * Math.abs(want) + 1e-30, name + "(" + x[2 + i] + ")");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 17, 100, 1000})
    void softmax(int n) {
        Random rnd = new Random(n);
        float[] x = random(rnd, n + 1, 20f);
        float[] out = x.clone();
        VectorMath.softmax(out, 1, n);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, x[1 + i]);
        for (int i = 0; i < n; i++) sum += Math.exp(x[1 + i] - max);
        for (int i = 0; i < n; i++) {
            double want = Math.exp(x[1 + i] - max) / sum;
            // exp of a rounded difference (|x − max| ≤ 40, so ≤ 40ε absolute) + the float sum over n terms
            assertClose(want, out[1 + i], (n + 48) * EPS * want, "softmax " + i);
        }
        assertEquals(x[0], out[0]);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17, 100, 1000})
    void addScaleAxpyAreSingleRoundings(int n) {
        Random rnd = new Random(n);
        float[] a = random(rnd, n + 3, 5f), b = random(rnd, n + 1, 5f);
        float[] acc = a.clone();
        VectorMath.add(acc, 3, b, 1, n);
        for (int i = 0; i < n; i++) assertEquals((float) ((double) a[3 + i] + b[1 + i]), acc[3 + i]);
        float[] s = a.clone();
        VectorMath.scale(s, 3, n, 0.3f);
        for (int i = 0; i < n; i++) assertEquals((float) ((double) a[3 + i] * 0.3f), s[3 + i]);
        float[] y = a.clone();
        VectorMath.axpy(-1.7f, b, 1, y, 3, n);
        for (int i = 0; i < n; i++) {   // fused: one rounding of the exact a·x + y
            float want = new java.math.BigDecimal(-1.7f).multiply(new java.math.BigDecimal(b[1 + i]))
                    .add(new java.math.BigDecimal(a[3 + i])).floatValue();
            assertEquals(want, y[3 + i]);
        }
        assertEquals(a[0], acc[0]);
        float max = VectorMath.max(a, 3, n);
        float want = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) want = Math.max(want, a[3 + i]);
        assertEquals(want, max);
    }

    @FunctionalInterface
    private interface Kernel {
        void apply(float[] x, int offset, int length);
    }

    /** Values over [−12, 12] with a dense middle, plus exact zeros. */
    private static float[] spread(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u = rnd.nextDouble() * 2 - 1;
            a[i] = i % 13 == 5 ? 0f : (float) (u * u * u * 12 + u * 0.5);
        }
        return a;
    }

    private static float[] random(Random rnd, int n, float amp) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * amp;
        return a;
    }

    private static void assertClose(double want, float got, double tol, String what) {
        if (!(Math.abs(got - want) <= tol)) {
            fail(what + ": got " + got + " want " + want + " |diff| " + Math.abs(got - want) + " > tol " + tol
                    + " (" + Math.abs(got - want) / Math.max(1e-300, Math.abs(want)) + " relative)");
        }
    }
}
