package dev.casa.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused kernels against {@link ReferenceKernels#attention} (double precision, explicit mask
 * predicate). Every case runs through both kernels (tiled and decode, decode also with forced key
 * splits) and through the automatic choice, on 1 and 2 threads, with offsets and padded strides.
 */
class AttentionTest {
    private static final float EPS = Math.ulp(1f);
    private static final ThreadPool ONE = new ThreadPool(1);
    private static final ThreadPool TWO = new ThreadPool(2);

    @AfterAll
    static void closePools() {
        ONE.close();
        TWO.close();
    }

    /** One attention problem; the mask is given by its two parameters, or by segment boundaries (cu_seqlens). */
    record Case(String name, int numQueries, int numKeys, int heads, int kvHeads, int headDim,
                int prefixKeys, int causalOffset, boolean padded, int[] segments) {
        Case(String name, int numQueries, int numKeys, int heads, int kvHeads, int headDim,
             int prefixKeys, int causalOffset, boolean padded) {
            this(name, numQueries, numKeys, heads, kvHeads, headDim, prefixKeys, causalOffset, padded, null);
        }

        /** Packed segments of the given lengths (0 = an empty segment). */
        static Case segments(String name, int heads, int kvHeads, int headDim, boolean padded, int... lengths) {
            int[] cu = new int[lengths.length + 1];
            for (int s = 0; s < lengths.length; s++) cu[s + 1] = cu[s] + lengths[s];
            int n = cu[lengths.length];
            return new Case(name, n, n, heads, kvHeads, headDim, 0, 0, padded, cu);
        }

        AttentionMask mask() {
            return segments == null ? new AttentionMask(prefixKeys, causalOffset) : AttentionMask.segments(segments);
        }

        ReferenceKernels.Visibility visibility() {
            return segments == null ? (i, j) -> ReferenceKernels.sees(prefixKeys, causalOffset, i, j)
                    : (i, j) -> ReferenceKernels.sameSegment(segments, i, j);
        }

        @Override
        public String toString() {
            String m = segments == null ? "mask=(" + prefixKeys + "," + causalOffset + ")"
                    : "cu_seqlens=" + java.util.Arrays.toString(segments);
            return name + " q=" + numQueries + " k=" + numKeys + " h=" + heads + "/" + kvHeads + " hd=" + headDim
                    + " " + m + (padded ? " padded" : "");
        }
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        int[] sizes = {1, 3, 7, 17, 33, 100, 257};
        int[] dims = {8, 12, 36, 64, 128};
        int[][] headShapes = {{2, 2}, {4, 2}, {8, 2}, {3, 3}};   // GQA groups 1, 2, 4, 1
        for (int a = 0; a < sizes.length; a++) {
            int t = sizes[a];
            int hd = dims[a % dims.length];
            int[] hs = headShapes[a % headShapes.length];
            AttentionMask causal = AttentionMask.causal(t, t);
            c.add(new Case("causal prefill", t, t, hs[0], hs[1], hd, causal.prefixKeys(), causal.causalOffset(), a % 2 == 0));
            AttentionMask full = AttentionMask.full(t);
            c.add(new Case("full (vision)", t, t, hs[1] * 2, hs[1], dims[(a + 2) % dims.length],
                    full.prefixKeys(), full.causalOffset(), a % 2 == 1));
        }
        // CASA windows: image block then causal text ending at the last query.
        int[][] windows = {{7, 3, 3}, {17, 0, 0}, {64, 1, 1}, {33, 17, 5}, {100, 100, 100}, {1, 7, 7}, {16, 33, 1}};
        for (int w = 0; w < windows.length; w++) {
            int img = windows[w][0], text = windows[w][1], nq = Math.max(1, windows[w][2]);
            AttentionMask m = AttentionMask.window(img, text, windows[w][2] == 0 ? 1 : nq);
            int keys = img + text;
            int[] hs = headShapes[w % headShapes.length];
            c.add(new Case(windows[w][2] == 0 ? "window prefix only" : "window", nq, keys, hs[0], hs[1],
                    dims[w % dims.length], m.prefixKeys(), m.causalOffset(), w % 2 == 0));
        }
        // First queries of a window that has no text keys before them yet: they see images + themselves.
        c.add(new Case("window, no earlier text", 5, 12 + 5, 4, 1, 36, 12, 0, true));
        // Decode: one or two queries at the end of a long cache.
        c.add(new Case("decode causal", 1, 1000, 4, 1, 64, 0, 999, true));
        c.add(new Case("decode causal", 1, 1000, 8, 8, 128, 0, 999, false));
        c.add(new Case("decode causal", 2, 257, 8, 2, 12, 0, 255, true));
        c.add(new Case("decode window", 1, 100 + 33, 4, 2, 36, 100, 32, true));
        c.add(new Case("decode groups 4", 3, 1000, 4, 1, 8, 0, 997, false));
        // GQA groups of 3 and 8 rows (SmolVLM, Qwen2.5-VL-3B), head dims that are 4 vectors wide on AVX-512 (64) and
        // AVX2 (32), and one that is not a whole number of vectors (40)
        c.add(new Case("decode GQA 3", 1, 880, 9, 3, 64, 0, 879, true));
        c.add(new Case("decode GQA 8", 1, 300, 16, 2, 128, 0, 299, false));
        c.add(new Case("decode GQA 3", 1, 200, 6, 2, 32, 0, 199, false));
        c.add(new Case("decode GQA 5", 2, 150, 10, 2, 40, 0, 148, true));
        // Nothing visible: empty key set, and queries before the first causal key.
        c.add(new Case("no keys", 3, 0, 2, 1, 8, 0, -3, true));
        c.add(new Case("late causal start", 7, 4, 4, 2, 12, 0, -3, true));
        // Packed segments (vision windows and images): awkward lengths, empty and length-1 segments,
        // segments shorter and longer than a tile and than a key block.
        c.add(Case.segments("one token", 2, 2, 8, false, 1));
        c.add(Case.segments("single segment", 4, 4, 36, true, 100));
        c.add(Case.segments("length-1 segments", 3, 3, 12, true, 1, 1, 1, 1, 1));
        c.add(Case.segments("empty segments", 4, 2, 8, false, 0, 3, 0, 0, 5, 1, 0));
        c.add(Case.segments("vision windows", 4, 4, 80, true, 64, 64, 28, 64, 16, 4, 64, 37));
        c.add(Case.segments("windows, GQA 2", 4, 2, 16, false, 17, 33, 0, 65, 1, 2, 31));
        c.add(Case.segments("windows, GQA 4", 8, 2, 12, true, 5, 70, 3, 129));
        c.add(Case.segments("two images", 2, 2, 64, false, 112, 88));
        c.add(Case.segments("long segment", 2, 2, 8, true, 7, 300, 2));
        c.add(Case.segments("no tokens", 2, 2, 8, false, 0, 0));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesScalarReference(Case c) {
        Random rnd = new Random(c.toString().hashCode());
        int qWidth = c.heads() * c.headDim(), kvWidth = c.kvHeads() * c.headDim();
        int qStride = qWidth + (c.padded() ? 5 : 0), kvStride = kvWidth + (c.padded() ? 3 : 0);
        int outStride = qWidth + (c.padded() ? 7 : 0);
        int qOff = c.padded() ? 11 : 0, kOff = c.padded() ? 2 : 0, vOff = c.padded() ? 9 : 0, oOff = c.padded() ? 4 : 0;
        float[] q = random(rnd, qOff + c.numQueries() * qStride, 1.5f);
        float[] k = random(rnd, kOff + Math.max(1, c.numKeys()) * kvStride, 1.5f);
        float[] v = random(rnd, vOff + Math.max(1, c.numKeys()) * kvStride, 1f);
        float scale = (float) (1 / Math.sqrt(c.headDim()));
        AttentionMask mask = c.mask();
        double[] ref = ReferenceKernels.attention(q, qOff, qStride, c.numQueries(), c.heads(), c.headDim(),
                k, kOff, v, vOff, kvStride, c.numKeys(), c.kvHeads(), c.visibility(), scale);
        double[] tol = tolerance(c, q, qOff, qStride, k, kOff, kvStride, scale);

        for (ThreadPool pool : new ThreadPool[] {ONE, TWO}) {
            for (Attention.Kernel kernel : Attention.Kernel.values()) {
                int[] splitChoices = kernel == Attention.Kernel.DECODE ? new int[] {0, 1, 3} : new int[] {0};
                for (int splits : splitChoices) {
                    float[] out = new float[oOff + c.numQueries() * outStride + 3];
                    java.util.Arrays.fill(out, Float.NaN);   // every written element must be overwritten
                    Attention.attend(pool, q, qOff, qStride, c.numQueries(), c.heads(), c.headDim(),
                            k, kOff, v, vOff, kvStride, c.numKeys(), c.kvHeads(), mask, scale,
                            out, oOff, outStride, kernel, splits);
                    String where = kernel + " splits=" + splits + " threads=" + pool.threads();
                    compare(c, ref, tol, out, oOff, outStride, where);
                }
            }
        }
    }

    private static void compare(Case c, double[] ref, double[] tol, float[] out, int oOff, int outStride, String where) {
        int width = c.heads() * c.headDim();
        for (int i = 0; i < c.numQueries(); i++) {
            for (int e = 0; e < width; e++) {
                float got = out[oOff + i * outStride + e];
                double want = ref[i * width + e];
                if (!(Math.abs(got - want) <= tol[i])) {
                    fail(where + ": query " + i + " element " + e + " got " + got + " want " + want
                            + " (tolerance " + tol[i] + ")");
                }
            }
            // padding between rows is untouched
            for (int e = width; e < outStride && i < c.numQueries() - 1; e++) {
                assertTrue(Float.isNaN(out[oOff + i * outStride + e]), where + ": wrote into row padding");
            }
        }
    }

    /**
     * Error bound per query. A float dot product of hd terms errs by at most hd·ε·Σ|q_d·k_d|; scaled,
     * that shifts a probability by a factor e^{±2δ}, moving the output by ≤ 2δ·max|v|. The running sums
     * over n keys (in blocks, with rescaling and fp32 exp of a few ulp) add ≤ (n + 32)·ε·max|v|.
     * Zero for rows that see nothing: those must be exact zeros.
     */
    private static double[] tolerance(Case c, float[] q, int qOff, int qStride, float[] k, int kOff, int kvStride, float scale) {
        double[] tol = new double[c.numQueries()];
        int group = c.heads() / c.kvHeads();
        for (int i = 0; i < c.numQueries(); i++) {
            double worstDot = 0;
            int n = 0;
            for (int j = 0; j < c.numKeys(); j++) {
                if (!c.visibility().sees(i, j)) continue;
                n++;
                for (int h = 0; h < c.heads(); h++) {
                    double abs = 0;
                    for (int d = 0; d < c.headDim(); d++) {
                        abs += Math.abs(q[qOff + i * qStride + h * c.headDim() + d]
                                * k[kOff + j * kvStride + (h / group) * c.headDim() + d]);
                    }
                    worstDot = Math.max(worstDot, abs);
                }
            }
            double delta = (c.headDim() + 2) * EPS * worstDot * scale;
            tol[i] = n == 0 ? 0 : 2 * delta + (n + 32) * EPS;   // max|v| = 1
        }
        return tol;
    }

    @Test
    void fullyMaskedRowsAreZeroNotNaN() {
        // queries 0..2 see nothing (causal keys start at query 3), queries 3.. see 1, 2, ... keys
        int nq = 6, keys = 3, heads = 2, hd = 8;
        Random rnd = new Random(1);
        float[] q = random(rnd, nq * heads * hd, 1), k = random(rnd, keys * hd, 1), v = random(rnd, keys * hd, 1);
        for (Attention.Kernel kernel : Attention.Kernel.values()) {
            float[] out = new float[nq * heads * hd];
            java.util.Arrays.fill(out, Float.NaN);
            Attention.attend(TWO, q, 0, heads * hd, nq, heads, hd, k, 0, v, 0, hd, keys, 1,
                    new AttentionMask(0, -3), 0.3f, out, 0, heads * hd, kernel, 0);
            for (int e = 0; e < 3 * heads * hd; e++) assertEquals(0f, out[e], kernel + " element " + e);
            // query 3 sees exactly key 0: the output is v[0]
            for (int d = 0; d < hd; d++) assertEquals(v[d], out[3 * heads * hd + d], 1e-6f, kernel.toString());
        }
    }

    @Test
    void maskFactories() {
        AttentionMask causal = AttentionMask.causal(10, 3);   // queries are keys 7, 8, 9
        assertEquals(8, causal.visibleKeys(0, 10));
        assertEquals(10, causal.visibleKeys(2, 10));
        AttentionMask window = AttentionMask.window(5, 4, 2);  // 5 image keys, text keys 0..3, queries = text 2, 3
        assertEquals(5 + 3, window.visibleKeys(0, 9));
        assertEquals(9, window.visibleKeys(1, 9));
        assertEquals(7, AttentionMask.full(7).visibleKeys(3, 7));
    }

    @Test
    void segmentMask() {
        AttentionMask m = AttentionMask.segments(new int[] {0, 3, 3, 4, 9});
        assertEquals(4, m.segmentCount());
        assertEquals(9, m.segmentTokens());
        int[][] want = {{0, 3}, {0, 3}, {0, 3}, {3, 4}, {4, 9}, {4, 9}, {4, 9}, {4, 9}, {4, 9}};
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i][0], m.keyStart(i), "start of query " + i);
            assertEquals(want[i][1], m.keyEnd(i, 9), "end of query " + i);
            assertEquals(want[i][1] - want[i][0], m.visibleKeys(i, 9), "count of query " + i);
        }
        assertEquals(m, AttentionMask.segments(new int[] {0, 3, 3, 4, 9}));
        assertTrue(!m.equals(AttentionMask.full(9)));
        assertEquals(0, AttentionMask.full(5).keyStart(3));
        assertThrows(IllegalArgumentException.class, () -> AttentionMask.segments(new int[] {1, 3}));
        assertThrows(IllegalArgumentException.class, () -> AttentionMask.segments(new int[] {0, 3, 2}));
        assertThrows(IllegalArgumentException.class, () -> AttentionMask.segments(new int[0]));
        // the call must cover exactly the segments' tokens
        float[] a = new float[9 * 16];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attention.attend(ONE,
                a, 0, 16, 8, 2, 8, a, 0, a, 0, 16, 8, 2, m, 1f, a, 0, 16));
        assertTrue(e.getMessage().contains("segment mask over 9 tokens"), e.getMessage());
    }

    /** A segment call equals one call per segment (each with full attention over its own tokens). */
    @Test
    void segmentsEqualSeparateCalls() {
        int[] lengths = {64, 28, 1, 0, 64, 100, 16};
        int heads = 4, hd = 80, width = heads * hd;
        int[] cu = new int[lengths.length + 1];
        for (int s = 0; s < lengths.length; s++) cu[s + 1] = cu[s] + lengths[s];
        int n = cu[lengths.length];
        Random rnd = new Random(5);
        float[] q = random(rnd, n * width, 2), k = random(rnd, n * width, 2), v = random(rnd, n * width, 1);
        float scale = (float) (1 / Math.sqrt(hd));
        for (ThreadPool pool : new ThreadPool[] {ONE, TWO}) {
            float[] packed = new float[n * width], separate = new float[n * width];
            Attention.attend(pool, q, 0, width, n, heads, hd, k, 0, v, 0, width, n, heads,
                    AttentionMask.segments(cu), scale, packed, 0, width, Attention.Kernel.TILED, 0);
            for (int s = 0; s < lengths.length; s++) {
                int off = cu[s] * width;
                Attention.attend(pool, q, off, width, lengths[s], heads, hd, k, off, v, off, width, lengths[s], heads,
                        AttentionMask.full(lengths[s]), scale, separate, off, width, Attention.Kernel.TILED, 0);
            }
            // not bit for bit: the vector exp may differ by an ulp between interpreted and compiled code
            for (int e = 0; e < n * width; e++) {
                assertEquals(separate[e], packed[e], 4e-7f, "threads=" + pool.threads() + " element " + e);
            }
        }
    }

    @Test
    void rejectsBadShapes() {
        float[] a = new float[64];
        AttentionMask m = AttentionMask.full(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attention.attend(ONE,
                a, 0, 24, 2, 3, 8, a, 0, a, 0, 16, 2, 2, m, 1f, a, 0, 24));
        assertTrue(e.getMessage().contains("not a multiple"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.attend(ONE,
                a, 0, 32, 2, 4, 8, a, 0, a, 0, 16, 2, 2, m, 1f, new float[40], 0, 32));
        assertTrue(e.getMessage().startsWith("out:") && e.getMessage().contains("needs 64"), e.getMessage());
    }

    private static float[] random(Random rnd, int n, float amp) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * amp;
        return a;
    }
}
