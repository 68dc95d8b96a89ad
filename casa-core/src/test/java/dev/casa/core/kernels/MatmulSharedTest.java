package dev.casa.core.kernels;

import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Quantizer;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static dev.casa.core.tensor.WeightFormat.BF16;
import static dev.casa.core.tensor.WeightFormat.F16;
import static dev.casa.core.tensor.WeightFormat.F32;
import static dev.casa.core.tensor.WeightFormat.Q4_0;
import static dev.casa.core.tensor.WeightFormat.Q8_0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Matmul#matmulShared}: every output against the double-precision oracle of {@link MatmulTest},
 * and bit for bit against one {@link Matmul#matmul} per weight on the same pool (its contract).
 * M = 1..4 runs the shared GEMV, M = 5 one GEMM per weight.
 */
class MatmulSharedTest {
    private static final ThreadPool ONE = new ThreadPool(1);
    private static final ThreadPool TWO = new ThreadPool(2);
    private static final ThreadPool THREE = new ThreadPool(3);
    private static final ThreadPool[] POOLS = {ONE, TWO, THREE};

    /** Formats of the weights of one call: one format, and mixes (prepared rows shared only within a format). */
    private static final WeightFormat[][] GROUPS = {
            {F32, F32, F32}, {BF16, BF16}, {F16, F16, F16}, {Q8_0, Q8_0, Q8_0}, {Q4_0, Q4_0},
            {Q8_0, F32, Q8_0}, {Q4_0, BF16, F16, Q8_0}, {F32, Q4_0, F32}, {BF16, F32},
    };
    /** N of the weights of a call, by position (cycled): off every row group and vector width. */
    private static final int[] NS = {200, 7, 33, 70};

    @AfterAll
    static void closePools() {
        ONE.close();
        TWO.close();
        THREE.close();
    }

    @Test
    void matchesScalarOracleAndSeparateCallsForEveryFormatMixShapeAndThreadCount() {
        Random rnd = new Random(5);
        int cases = 0;
        for (WeightFormat[] group : GROUPS) {
            boolean quantized = Arrays.stream(group).anyMatch(WeightFormat::quantized);
            for (int k : quantized ? new int[] {64, 96} : new int[] {64, 96, 100}) {
                Tensor[] ws = weights(group, NS, k, rnd);
                for (int m = 1; m <= 5; m++) {
                    for (boolean withBias : new boolean[] {false, true}) {
                        float[][] biases = withBias ? biases(ws, rnd) : null;
                        for (ThreadPool pool : POOLS) {
                            check(pool, m, ws, biases, withBias ? 3 : 0, rnd);
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals((4 * 3 + 5 * 2) * 5 * 2 * 3, cases);   // 4 float-only groups with 3 K, 5 with blocks with 2
    }

    /**
     * Shapes with several ranges per weight and, for M = 2..4, several L2 slices per range: each weight
     * keeps exactly the ranges and slices of its own call, so the bits are those of separate calls.
     */
    @Test
    void sameBitsAsSeparateCallsWithManyRangesAndSlices() {
        Random rnd = new Random(9);
        int[][] shapes = {{2100, 17, 900}, {150, 70, 40}};   // {N0, N1, N2}; K below
        int[] ks = {17, 4099};
        for (int s = 0; s < shapes.length; s++) {
            Tensor[] ws = weights(new WeightFormat[] {F32, BF16, F16}, shapes[s], ks[s], rnd);
            for (int m : new int[] {1, 3, 4}) {
                for (ThreadPool pool : POOLS) check(pool, m, ws, biases(ws, rnd), 1, rnd);
            }
        }
        Tensor[] blocks = weights(new WeightFormat[] {Q4_0, Q8_0, F32}, new int[] {200, 130, 64}, 4096, rnd);
        for (int m : new int[] {1, 2, 4}) {
            for (ThreadPool pool : new ThreadPool[] {ONE, THREE}) check(pool, m, blocks, null, 0, rnd);
        }
    }

    @Test
    void edgeCases() {
        Random rnd = new Random(11);
        // No weights, no rows: nothing to do.
        Matmul.matmulShared(TWO, new float[0], 0, 1, new Tensor[0], null, new float[0][], new int[0]);
        Tensor[] ws = weights(new WeightFormat[] {F32, Q8_0}, new int[] {9, 5}, 32, rnd);
        float[][] untouched = {nans(9), nans(5)};
        Matmul.matmulShared(TWO, new float[0], 0, 0, ws, null, untouched, new int[2]);
        assertTrue(allNaN(untouched[0]) && allNaN(untouched[1]));
        // A weight without outputs between two with.
        Tensor[] withEmpty = weights(new WeightFormat[] {F32, F32, BF16}, new int[] {9, 0, 40}, 48, rnd);
        for (int m : new int[] {1, 4, 5}) check(TWO, m, withEmpty, null, 2, rnd);
        // K = 0: C is the bias (or zero), as matmul gives it.
        Tensor[] empty = {Tensor.ofFloats("e0", new float[0], 3, 0), Tensor.ofFloats("e1", new float[0], 2, 0)};
        float[][] cs = {new float[6], nans(4)};
        Matmul.matmulShared(TWO, new float[0], 0, 2, empty, new float[][] {{1, 2, 3}, null}, cs, new int[2]);
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3}, cs[0]);
        assertArrayEquals(new float[4], cs[1]);
    }

    @Test
    void rejectsBadArgumentsNamingTheWeightBeforeWritingAnything() {
        Tensor q = Tensor.ofFloats("q_proj", new float[12], 3, 4);
        Tensor k = Tensor.ofFloats("k_proj", new float[8], 2, 4);
        Tensor wide = Tensor.ofFloats("v_proj", new float[10], 2, 5);
        float[] a = new float[8];
        float[][] cs = {nans(6), nans(4)};
        int[] offsets = new int[2];

        assertRejected(() -> Matmul.matmulShared(ONE, a, 0, 2, new Tensor[] {q, wide}, null, cs, offsets),
                "'v_proj'", "K = 5", "'q_proj'");
        float[][] short1 = {nans(6), nans(3)};
        assertRejected(() -> Matmul.matmulShared(TWO, a, 0, 2, new Tensor[] {q, k}, null, short1, offsets),
                "'k_proj'", "C needs 2×2");
        assertRejected(() -> Matmul.matmulShared(TWO, a, 0, 2, new Tensor[] {q, k}, null, cs, new int[] {0, 1}),
                "'k_proj'", "C needs");
        assertRejected(() -> Matmul.matmulShared(TWO, a, 0, 2, new Tensor[] {q, k}, new float[][] {null, new float[3]},
                cs, offsets), "'k_proj'", "bias has length 3");
        assertRejected(() -> Matmul.matmulShared(TWO, a, 1, 2, new Tensor[] {q, k}, null, cs, offsets),
                "'q_proj'", "A needs");
        assertRejected(() -> Matmul.matmulShared(TWO, a, 0, 2, new Tensor[] {q, k}, null, new float[][] {cs[0]}, offsets),
                "2 weights", "1 outputs");
        assertRejected(() -> Matmul.matmulShared(TWO, a, 0, 2, new Tensor[] {q, k}, new float[1][], cs, offsets),
                "2 weights", "1 biases");
        Tensor ints = new Tensor("ints", DType.I32, new long[] {2, 4}, MemorySegment.ofArray(new byte[32]));
        assertRejected(() -> Matmul.matmulShared(TWO, a, 0, 2, new Tensor[] {q, ints}, null, cs, offsets),
                "ints", "I32");
        Tensor vector = Tensor.ofFloats("vec", new float[4], 4);
        assertRejected(() -> Matmul.matmulShared(TWO, a, 0, 2, new Tensor[] {q, vector}, null, cs, offsets),
                "'vec'", "2-D");
        // Every weight is checked before any is computed: q's output was not written either.
        assertTrue(allNaN(cs[0]));
    }

    // ---- helpers ------------------------------------------------------------------------------

    /**
     * One shared call and one matmul per weight, on {@code pool}, from the same A (at {@code aOffset})
     * into outputs at distinct non-zero offsets: each shared output within the oracle's bound, and
     * every element (NaN padding included) equal to the separate call's.
     */
    private static void check(ThreadPool pool, int m, Tensor[] ws, float[][] biases, int aOffset, Random rnd) {
        int k = ws[0].cols();
        float[] a = MatmulTest.randoms(aOffset + m * k + 2, rnd);
        float[][] shared = new float[ws.length][], separate = new float[ws.length][];
        int[] offsets = new int[ws.length];
        for (int i = 0; i < ws.length; i++) {
            offsets[i] = 1 + 4 * i;
            shared[i] = nans(offsets[i] + m * ws[i].rows() + 3);
            separate[i] = nans(shared[i].length);
        }
        Matmul.matmulShared(pool, a, aOffset, m, ws, biases, shared, offsets);
        for (int i = 0; i < ws.length; i++) {
            float[] bias = biases == null ? null : biases[i];
            Matmul.matmul(pool, a, aOffset, m, ws[i], bias, separate[i], offsets[i]);
            String where = "weight " + i + " of " + formats(ws) + " M=" + m + " N=" + ws[i].rows() + " K=" + k
                    + " bias=" + (bias != null) + " threads=" + pool.threads();
            MatmulTest.assertMatchesOracle(where, a, aOffset, m, ws[i], bias, shared[i], offsets[i]);
            assertArrayEquals(separate[i], shared[i], where + ": shared call differs from a separate matmul");
        }
    }

    /** Weight i of format {@code formats[i]}, N = {@code ns[i % ns.length]}, named "w{i}". */
    private static Tensor[] weights(WeightFormat[] formats, int[] ns, int k, Random rnd) {
        Tensor[] ws = new Tensor[formats.length];
        for (int i = 0; i < ws.length; i++) {
            int n = ns[i % ns.length];
            String name = "w" + i;
            float[] v = MatmulTest.randoms(n * k, rnd);
            ws[i] = formats[i] == F32 ? Tensor.ofFloats(name, v, n, k)
                    : formats[i] == BF16 ? Tensor.ofBf16(name, v, n, k)
                    : formats[i] == F16 ? Tensor.ofF16(name, v, n, k)
                    : Quantizer.quantize(Tensor.ofFloats(name, v, n, k), formats[i]);
            assertEquals(formats[i], ws[i].format());
        }
        return ws;
    }

    /** A bias per weight but the second (entries may be null). */
    private static float[][] biases(Tensor[] ws, Random rnd) {
        float[][] biases = new float[ws.length][];
        for (int i = 0; i < ws.length; i++) biases[i] = i == 1 ? null : MatmulTest.randoms(ws[i].rows(), rnd);
        return biases;
    }

    private static String formats(Tensor[] ws) {
        return Arrays.toString(Arrays.stream(ws).map(Tensor::format).toArray());
    }

    private static float[] nans(int n) {
        float[] c = new float[n];
        Arrays.fill(c, Float.NaN);
        return c;
    }

    private static boolean allNaN(float[] c) {
        for (float v : c) if (!Float.isNaN(v)) return false;
        return true;
    }

    private static void assertRejected(Runnable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
    }
}
