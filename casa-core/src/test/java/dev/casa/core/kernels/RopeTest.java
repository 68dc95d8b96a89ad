package dev.casa.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RoPE in both pairings against {@link ReferenceKernels#rope} (HF float32 angles, double rotation). */
class RopeTest {
    private static final double EPS = Math.ulp(1f);

    @ParameterizedTest
    @CsvSource({"8, INTERLEAVED", "12, HALF", "36, INTERLEAVED", "64, HALF", "128, INTERLEAVED", "128, HALF", "2, HALF"})
    void matchesReferenceAtSmallAndLargePositions(int headDim, RopeStyle style) {
        Rope rope = new Rope(headDim, 100000.0, style);
        Random rnd = new Random(headDim);
        int heads = 3;
        for (int pos : new int[] {0, 1, 7, 100, 1000, 4095, 4096, 5000, 100_000}) {
            float[] x = new float[2 + heads * headDim];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 4 - 2;
            float[] before = x.clone();
            rope.apply(x, 2, heads, pos);
            for (int h = 0; h < heads; h++) {
                double[] ref = ReferenceKernels.rope(before, 2 + h * headDim, headDim, pos, 100000.0,
                        style == RopeStyle.INTERLEAVED);
                for (int d = 0; d < headDim; d++) {
                    // cos, sin rounded to float (½ulp each), two products and a sum: ≤ 3ε·(|a| + |b|) ≤ 12ε
                    double got = x[2 + h * headDim + d];
                    if (!(Math.abs(got - ref[d]) <= 12 * EPS)) {
                        fail(style + " hd=" + headDim + " pos=" + pos + " head " + h + " dim " + d + ": got " + got
                                + " want " + ref[d]);
                    }
                }
            }
            assertEquals(before[0], x[0]);
            assertEquals(before[1], x[1]);
        }
    }

    @ParameterizedTest
    @CsvSource({"64, INTERLEAVED", "36, HALF", "128, HALF"})
    void tablesGiveTheSameBitsAsDirectComputation(int headDim, RopeStyle style) {
        Rope cached = new Rope(headDim, 10000.0, style);
        Rope direct = new Rope(headDim, 10000.0, style, 0);
        Random rnd = new Random(5);
        int tokens = 9, heads = 2, stride = heads * headDim + 3;
        float[] x = new float[tokens * stride];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 2 - 1;
        float[] y = x.clone();
        cached.apply(x, 0, stride, tokens, heads, 2000);
        direct.apply(y, 0, stride, tokens, heads, 2000);
        assertArrayEquals(y, x);
        // and the multi-token form equals one call per token at consecutive positions
        float[] z = y.clone();
        float[] w = y.clone();
        cached.apply(z, 0, stride, tokens, heads, 17);
        for (int t = 0; t < tokens; t++) direct.apply(w, t * stride, heads, 17 + t);
        assertArrayEquals(w, z);
    }

    @Test
    void concurrentCallersSeeConsistentTables() throws Exception {
        Rope rope = new Rope(64, 10000.0, RopeStyle.HALF);
        Rope direct = new Rope(64, 10000.0, RopeStyle.HALF, 0);
        Thread[] threads = new Thread[4];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads.length; t++) {
            int seed = t;
            threads[t] = new Thread(() -> {
                try {
                    Random rnd = new Random(seed);
                    for (int it = 0; it < 300; it++) {
                        int pos = rnd.nextInt(4096);
                        float[] a = new float[64];
                        for (int i = 0; i < 64; i++) a[i] = rnd.nextFloat();
                        float[] b = a.clone();
                        rope.apply(a, 0, 1, pos);
                        direct.apply(b, 0, 1, pos);
                        assertArrayEquals(b, a, "pos " + pos);
                    }
                } catch (Throwable e) {
                    synchronized (failure) { failure[0] = e; }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) t.join();
        if (failure[0] != null) throw new AssertionError(failure[0]);
    }

    @Test
    void rejectsOddHeadDimAndNegativePositions() {
        assertThrows(IllegalArgumentException.class, () -> new Rope(7, 10000.0, RopeStyle.HALF));
        Rope rope = new Rope(8, 10000.0, RopeStyle.HALF);
        assertThrows(IllegalArgumentException.class, () -> rope.apply(new float[8], 0, 1, -1));
        assertEquals(RopeStyle.INTERLEAVED, RopeStyle.parse("interleaved"));
        assertThrows(IllegalArgumentException.class, () -> RopeStyle.parse("rotate"));
    }
}
